"""Every method's update in PyTorch, written from the papers' equations (docs/PROTOCOLS.md), for the
parity test (test/methods/parity.test.ts): the same initial weights, real batches and noise as
gantry's run (safetensors files both ways), the same number of updates, in float64; writes the
parameters, the optimizer states and the losses after them.

    python3 perf/reference/methods.py <folder> [<folder> ...]

<folder>/case.json names the method, its options and protocol; init.safetensors holds the networks'
weights (G.<name>, D.<name>), inputs.safetensors the real batches (real.<i>), the noise (z.<i>) and,
for WGAN-GP, the generator states its interpolation draws start from (rng.<i>). Written here:
out.safetensors (G.<name>, D.<name>, opt.<net>.<buffer>.<i>) and losses.json.

The loop is the one gantry documents (src/methods/adversarial.ts): n_critic discriminator updates,
each on a fresh real batch and fresh noise; then G's update, which reuses the last critic update's
generated batch when n_critic = 1 (as the papers' code does) and draws fresh noise otherwise.
"""
import json
import math
import struct
import sys
from pathlib import Path

import torch
import torch.nn.functional as F

DTYPES = {"F64": torch.float64, "F32": torch.float32, "U8": torch.uint8, "I64": torch.int64}
CODES = {v: k for k, v in DTYPES.items()}


def load_safetensors(path):
    """The safetensors format by hand (8-byte header length, JSON header, raw little-endian data)."""
    buf = Path(path).read_bytes()
    (n,) = struct.unpack("<Q", buf[:8])
    header = json.loads(buf[8 : 8 + n])
    data = buf[8 + n :]
    out = {}
    for name, spec in header.items():
        if name == "__metadata__":
            continue
        lo, hi = spec["data_offsets"]
        t = torch.frombuffer(bytearray(data[lo:hi]), dtype=DTYPES[spec["dtype"]]) if hi > lo else torch.empty(0, dtype=DTYPES[spec["dtype"]])
        out[name] = t.reshape(spec["shape"]).clone()
    return out


def save_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous().cpu()
        b = t.numpy().tobytes()
        header[name] = {"dtype": CODES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    Path(path).write_bytes(struct.pack("<Q", len(h)) + h + b"".join(blobs))


class Net:
    """A gantry network as the test describes it (case.json "nets": each module's type, settings and
    children by name), with its weights and BatchNorm running statistics from the safetensors file.
    Names are gantry's state-dict names (G.0.weight, D.features.3.running_mean, L.inner.2.inner.0.bias),
    parameters in gantry's order (a module's own, then its children's). Covers both families: the MLPs
    (Linear and ReLU), the DCGANs (convolutions, transposed convolutions, BatchNorm), the joint (x, z)
    discriminators and the lens's residual blocks."""

    def __init__(self, spec, weights, prefix):
        self.spec, self.prefix = spec, prefix
        self.tensors, self.params, self.names = {}, [], []
        # BatchNorm's statistics stream: G keeps a second one for codes from an encoder (Reg-GAN's
        # appendix B; MDGAN and IVGAN too), running_mean_1 beside running_mean_0.
        self.stream, self.streams = 0, 1
        self.training = True  # BatchNorm on batch statistics; False: on the running ones (sampling)
        self._collect(spec, prefix, weights)

    def _collect(self, s, p, weights):
        for k in ("weight", "bias"):
            if f"{p}.{k}" in weights:
                t = torch.nn.Parameter(weights[f"{p}.{k}"].clone())
                self.params.append(t)
                self.names.append(f"{p}.{k}")
                self.tensors[f"{p}.{k}"] = t
        if s["type"].startswith("BatchNorm"):
            self.streams = s["streams"]
            for k in ("running_mean", "running_var"):
                for suffix in [""] if s["streams"] == 1 else [f"_{j}" for j in range(s["streams"])]:
                    self.tensors[f"{p}.{k}{suffix}"] = weights[f"{p}.{k}{suffix}"].clone()
        for name, c in s.get("children", {}).items():
            self._collect(c, f"{p}.{name}", weights)

    def parameters(self):
        return list(self.params)

    def __call__(self, x, params=None):
        """The forward pass; `params` (name → tensor) stands in for parameters (the unrolled D)."""
        return self._run(self.spec, self.prefix, x, params or {})

    def decode(self, code):
        """G on codes that came from an encoder: through BatchNorm's second stream where G keeps two."""
        self.stream = 1 if self.streams > 1 else 0
        try:
            return self(code)
        finally:
            self.stream = 0

    def body(self, x):
        """Every layer of a Sequential but the last (IVGAN's classifier shares it)."""
        kids = list(self.spec["children"].items())
        for name, c in kids[:-1]:
            x = self._run(c, f"{self.prefix}.{name}", x, {})
        return x

    def head(self, h):
        name, c = list(self.spec["children"].items())[-1]
        return self._run(c, f"{self.prefix}.{name}", h, {})

    def score(self, x, z):
        """A joint discriminator on (x, z) pairs, concatenated in its order (VEEGAN's is (z, x))."""
        s, P = self.spec, self.prefix
        if s["type"] == "JointConv":
            f = self._run(s["children"]["features"], f"{P}.features", x, {})
            return self._run(s["children"]["head"], f"{P}.head", torch.cat([z, f] if s["zFirst"] else [f, z], 1), {})
        return self(torch.cat([z, x] if s["zFirst"] else [x, z], 1))

    def _run(self, s, p, x, over):
        get = lambda k: over.get(f"{p}.{k}", self.tensors.get(f"{p}.{k}"))
        t = s["type"]
        if t in ("Sequential", "JointMLP"):
            for name, c in s["children"].items():
                x = self._run(c, f"{p}.{name}", x, over)
            return x
        if t == "Residual":
            return x + self._run(s["children"]["inner"], f"{p}.inner", x, over)
        if t == "Linear":
            return F.linear(x, get("weight"), get("bias"))
        if t == "Conv2d":
            return F.conv2d(x, get("weight"), get("bias"), stride=s["stride"], padding=s["padding"])
        if t == "ConvTranspose2d":
            return F.conv_transpose2d(x, get("weight"), get("bias"), stride=s["stride"], padding=s["padding"], output_padding=tuple(s["outputPadding"]))
        if t.startswith("BatchNorm"):
            suffix = "" if s["streams"] == 1 else f"_{self.stream}"
            mean, var = self.tensors[f"{p}.running_mean{suffix}"], self.tensors[f"{p}.running_var{suffix}"]
            return F.batch_norm(x, mean, var, get("weight"), get("bias"), training=self.training, momentum=s["momentum"], eps=s["eps"])
        if t == "ReLU":
            return torch.relu(x)
        if t == "LeakyReLU":
            return F.leaky_relu(x, s["slope"])
        if t == "Tanh":
            return torch.tanh(x)
        if t == "Flatten":
            return x.flatten(1)
        if t == "Unflatten":
            return x.view(-1, *s["shape"])
        raise ValueError(f"layer type {t}")


# The objectives, from the papers (D outputs a logit for GAN, a real number otherwise).
def gan_d(real, fake):  # Goodfellow et al. 2014: −E log σ(D(x)) − E log(1 − σ(D(G(z))))
    return F.binary_cross_entropy_with_logits(real, torch.ones_like(real)) + F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake))


def gan_g_minimax(fake):  # E log(1 − σ(D(G(z)))) = −E softplus(D(G(z)))
    return -F.softplus(fake).mean()


def gan_g_nonsaturating(fake):  # −E log σ(D(G(z))) = E softplus(−D(G(z)))
    return F.softplus(-fake).mean()


def lsgan_d(real, fake):  # Mao et al. 2017, a = 0, b = c = 1: ½E(D(x) − 1)² + ½E D(G(z))²
    return 0.5 * ((real - 1) ** 2).mean() + 0.5 * (fake**2).mean()


def lsgan_g(fake):
    return 0.5 * ((fake - 1) ** 2).mean()


def wgan_d(real, fake):  # Arjovsky et al. 2017: E f(G(z)) − E f(x)
    return fake.mean() - real.mean()


def wgan_g(fake):
    return -fake.mean()


def ebgan_energy(ae, x):
    """Zhao et al. 2017: D(x) = ‖Dec(Enc(x)) − x‖², as the mean squared error per sample."""
    return ((ae(x) - x) ** 2).flatten(1).mean(1)


def pull_away(s):
    """Zhao et al. 2017, Eq. 6: the mean squared cosine similarity over distinct pairs (a 1e-8 guard on the norms)."""
    s = s.flatten(1)
    n = s.shape[0]
    unit = s / (s.norm(2, dim=1, keepdim=True) + 1e-8)
    cos2 = (unit @ unit.T) ** 2
    return (cos2.sum() - cos2.diag().sum()) / (n * (n - 1))


def autoencoder_step(method, o, G, D, optG, optD, take, state):
    """EBGAN (Eq. 1–2, 6) and BEGAN (Berthelot et al. 2017, Eq. 4): one D update, one G update on the same samples."""
    x = take("real")
    fake = G(take("z"))
    step = {}
    if method == "ebgan":
        loss = ebgan_energy(D, x).mean() + torch.relu(o.get("margin", 1) - ebgan_energy(D, fake.detach())).mean()
    else:
        L = lambda v: (D(v) - v).abs().mean()
        l_real, l_fake = L(x), L(fake.detach())
        loss = l_real - state["k"] * l_fake
    optD.zero_grad()
    loss.backward()
    optD.step()
    step["d"] = loss.item()
    if method == "ebgan":
        lg = ebgan_energy(D, fake).mean()
        if o.get("pullAway", 0) > 0:
            lg = lg + o["pullAway"] * pull_away(fake)
    else:
        lg = (D(fake) - fake).abs().mean()
    optG.zero_grad()
    lg.backward()
    optG.step()
    step["g"] = lg.item()
    if method == "began":
        gamma, lam = o.get("gamma", 0.5), o.get("lambdaK", 0.001)
        lr, lf = l_real.item(), l_fake.item()
        state["k"] = min(1.0, max(0.0, state["k"] + lam * (gamma * lr - lf)))
        step["k"] = state["k"]
        step["m"] = lr + abs(gamma * lr - lf)
    return step


def reg_gan_step(o, G, D, E, optG, optD, take):
    """Che et al. 2017 (Mode-regularized GAN): D as the GAN's; G and E minimise
    −log D(G(z)) + λ1·‖x − G(E(x))‖² + λ2·(−log D(G(E(x)))) (E only through the two regularizers)."""
    x = take("real")
    fake = G(take("z"))
    loss = gan_d(D(x), D(fake.detach()))
    optD.zero_grad()
    loss.backward()
    optD.step()
    adv = gan_g_nonsaturating(D(fake))
    rec = G.decode(E(x))
    metric = ((x - rec) ** 2).mean()
    mode = gan_g_nonsaturating(D(rec))
    lg = adv + o.get("lambda1", 0.2) * metric + o.get("lambda2", 0.4) * mode
    optG.zero_grad()
    lg.backward()
    optG.step()
    return {"d": loss.item(), "g": lg.item(), "metric": metric.item(), "mode": mode.item()}


def ali_step(G, D, E, optG, optD, take):
    """ALI / BiGAN (Dumoulin et al. 2017, Donahue et al. 2017): D tells (x, E(x)) from (G(z), z); G and E play the same game with the labels flipped (non-saturating)."""
    x = take("real")
    z = take("z")
    ex = E(x)
    xg = G(z)
    loss = gan_d(D.score(x, ex.detach()), D.score(xg.detach(), z))
    optD.zero_grad()
    loss.backward()
    optD.step()
    lg = gan_d(D.score(xg, z), D.score(x, ex))
    optG.zero_grad()
    lg.backward(inputs=list(G.parameters()) + list(E.parameters()))
    optG.step()
    return {"d": loss.item(), "g": lg.item()}


def veegan_step(o, G, D, F_, optG, optD, take):
    """VEEGAN (Srivastava et al. 2017): D on (z, x) pairs, generated (z, G(z)) against reconstructed
    (F(x), x); G and F minimise the KL estimate E D(z, G(z)) − E D(F(x), x) + w·‖z − F(G(z))‖²."""
    x = take("real")
    z = take("z")
    xg = G(z)
    loss = gan_d(D.score(xg.detach(), z), D.score(x, F_(x).detach()))
    optD.zero_grad()
    loss.backward()
    optD.step()
    kl = D.score(xg, z).mean() - D.score(x, F_(x)).mean()
    rec = ((z - F_(xg)) ** 2).sum(1).mean()
    lg = kl + o.get("reconstructionWeight", 1) * rec
    optG.zero_grad()
    lg.backward(inputs=list(G.parameters()) + list(F_.parameters()))
    optG.step()
    return {"d": loss.item(), "g": lg.item(), "rec": rec.item()}


def mdgan_step(o, nets, opts, take):
    """MDGAN (Che et al. 2017, appendix A): a manifold step (D1 against G(E(x)); G and E descend
    −log D1(G(E(x))) + λ‖x − G(E(x))‖²) and a diffusion step (D2: G(E(x)) of the updated networks as
    real against G(z); G descends −log D2(G(z)))."""
    G, D1, D2, E = nets["G"], nets["D1"], nets["D2"], nets["E"]
    x = take("real")
    rec = G.decode(E(x))
    d1 = gan_d(D1(x), D1(rec.detach()))
    opts["D1"].zero_grad()
    d1.backward()
    opts["D1"].step()
    dist = ((x - rec) ** 2).mean()
    manifold = gan_g_nonsaturating(D1(rec)) + o.get("lambda", 0.2) * dist
    opts["G"].zero_grad()
    opts["E"].zero_grad()
    manifold.backward(inputs=list(G.parameters()) + list(E.parameters()))
    opts["G"].step()
    opts["E"].step()
    rec = G.decode(E(x)).detach()
    fake = G(take("z"))
    d2 = gan_d(D2(rec), D2(fake.detach()))
    opts["D2"].zero_grad()
    d2.backward()
    opts["D2"].step()
    g = gan_g_nonsaturating(D2(fake))
    opts["G"].zero_grad()
    g.backward(inputs=list(G.parameters()))
    opts["G"].step()
    return {"d1": d1.item(), "d2": d2.item(), "manifold": manifold.item(), "g": g.item(), "rec": dist.item()}


def write_all(folder, nets, opts, losses):
    """Every network's weights and every optimizer's buffers (opt.<name>.<buffer>.<i>, in parameter order)."""
    out = {}
    for net in nets.values():
        out.update(net.tensors)  # already named <net>.<state-dict name>
    for name, opt in opts.items():
        params = [q for group in opt.param_groups for q in group["params"]]
        for i, q in enumerate(params):
            for k, v in opt.state[q].items():
                if torch.is_tensor(v) and v.dim() > 0:
                    out[f"opt.{name}.{k}.{i}"] = v
    save_safetensors(folder / "out.safetensors", out)
    (folder / "losses.json").write_text(json.dumps(losses))


def unrolled_step(o, p, G, D, optG, optD, take):
    """Unrolled GAN (Metz et al. 2017, Eq. 7–11): one D update; then G's non-saturating loss against
    D after K more Adam updates θ_{k+1} = θ_k − Adam(∇θ f(θ_k, G)) on the same batch, kept in the
    graph (Eq. 9), so G's gradient flows through them. The unrolled Adam is PyTorch's Adam written
    out, its moments starting from D's optimizer, with √(v̂ + 1e-16) as gantry's (a guard that keeps
    the root's derivative finite where v̂ = 0)."""
    x = take("real")
    z0 = take("z")
    loss = gan_d(D(x), D(G(z0).detach()))
    optD.zero_grad()
    loss.backward()
    optD.step()
    params = list(D.parameters())
    theta = [q.detach().requires_grad_(True) for q in params]
    m = [optD.state[q]["exp_avg"].detach() for q in params]
    v = [optD.state[q]["exp_avg_sq"].detach() for q in params]
    t = int(optD.state[params[0]]["step"])
    b1, b2, lr, eps = p["beta1"], p["beta2"], p["lr"], 1e-8
    fake = G(z0)
    for _ in range(o.get("unrollSteps", 5)):
        at = dict(zip(D.names, theta))
        f = gan_d(D(x, at), D(fake, at))
        grads = torch.autograd.grad(f, theta, create_graph=True)
        t += 1
        m = [b1 * mi + (1 - b1) * g for mi, g in zip(m, grads)]
        v = [b2 * vi + (1 - b2) * g * g for vi, g in zip(v, grads)]
        theta = [q - lr * (mi / (1 - b1**t)) / ((vi / (1 - b2**t) + 1e-16).sqrt() + eps) for q, mi, vi in zip(theta, m, v)]
    lg = gan_g_nonsaturating(D(fake, dict(zip(D.names, theta))))
    optG.zero_grad()
    lg.backward(inputs=list(G.parameters()))
    optG.step()
    return {"d": loss.item(), "g": lg.item()}


def ivgan_step(o, G, D, C, E, optG, optD, take, latent):
    """IVGAN (Liang et al., papers/004, with its code's choices as docs/PROTOCOLS.md pins them): E
    codes x; sample j's block (j mod k) is replaced by prior noise, x_i = G(intervened code); a
    classifier C on D's body predicts the block. D and C descend the GAN loss + γ·CE; G and E descend
    −log D(G(z)) − γ·CE + η·|x − G(E(x))|₁."""
    k = min(o.get("blocks", 4), latent)
    sizes = [latent // k + (1 if i < latent % k else 0) for i in range(k)]
    owner = [b for b, sz in enumerate(sizes) for _ in range(sz)]
    x = take("real")
    n = x.shape[0]
    mask = torch.tensor([[1.0 if b == j % k else 0.0 for b in owner] for j in range(n)], dtype=x.dtype)
    labels = torch.tensor([j % k for j in range(n)])
    fake = G(take("z"))
    code = E(x)
    ivcode = code * (1 - mask) + take("z") * mask
    xi = G.decode(ivcode)
    body = D.body
    h = body(torch.cat([x, fake.detach(), xi.detach()], 0))
    out = D.head(h[: 2 * n])
    ce_d = F.cross_entropy(C(h[2 * n :]), labels)
    gamma, eta = o.get("gamma", 0.5), o.get("eta", 0.25)
    loss = gan_d(out[:n], out[n : 2 * n]) + gamma * ce_d
    optD.zero_grad()
    loss.backward(inputs=list(D.parameters()) + list(C.parameters()))
    optD.step()
    recon = G.decode(code)
    hg = body(torch.cat([fake, xi], 0))
    adv = gan_g_nonsaturating(D.head(hg[:n]))
    ce_g = F.cross_entropy(C(hg[n:]), labels)
    l1 = (x - recon).abs().mean()
    lg = adv - gamma * ce_g + eta * l1
    optG.zero_grad()
    lg.backward(inputs=list(G.parameters()) + list(E.parameters()))
    optG.step()
    return {"d": loss.item(), "g": lg.item(), "ce": ce_g.item(), "rec": l1.item()}


def feeder(inputs):
    """take(kind): the next saved tensor of a kind (real.<i>, z.<i>, rng.<i>), in the order gantry drew them."""
    counters = {}

    def take(kind):
        i = counters.get(kind, 0)
        counters[kind] = i + 1
        return inputs[f"{kind}.{i}"]

    return take


def optimizer_for(case, name, params):
    """The optimizer gantry gave this network, with its settings from case.json ("optimizers": kind,
    lr, betas; per-network rates such as the small-d protocol's D 2e-4 / G 1e-4), else the protocol's."""
    p = case["protocol"]
    o = case.get("optimizers", {}).get(name, {"kind": p["optimizer"], "lr": p["lr"], "betas": [p["beta1"], p["beta2"]]})
    if o["kind"] == "rmsprop":
        return torch.optim.RMSprop(params, lr=o["lr"], alpha=0.99, eps=1e-8)
    return torch.optim.Adam(params, lr=o["lr"], betas=tuple(o["betas"]), eps=1e-8)


def build(case, init, take):
    """The case's networks and optimizers, and step(t): one training iteration (t from 0) that draws
    its real batches and noise through take(kind) and returns the iteration's logged losses."""
    method, o, p = case["method"], case["options"], case["protocol"]
    nets = {name: Net(spec, init, name) for name, spec in case["nets"].items()}
    G, D = nets["G"], nets.get("D")
    opt = lambda name, *modules: optimizer_for(case, name, [q for m in modules for q in m.parameters()])
    if method == "mdgan":
        opts = {k: opt(k, v) for k, v in nets.items()}
        return (lambda t: mdgan_step(o, nets, opts, take)), nets, opts
    if method == "ivgan":
        E, C = nets["E"], nets["C"]
        opts = {"G": opt("G", G, E), "D": opt("D", D, C)}
        return (lambda t: ivgan_step(o, G, D, C, E, opts["G"], opts["D"], take, p["latentDim"])), nets, opts
    if method == "unrolled":
        opts = {"G": opt("G", G), "D": opt("D", D)}
        return (lambda t: unrolled_step(o, p, G, D, opts["G"], opts["D"], take)), nets, opts
    if method in ("reg-gan", "ali", "veegan"):
        E = nets["F" if method == "veegan" else "E"]
        # One optimizer over G's and E's parameters, in that order (gantry's G-side optimizer).
        opts = {"G": opt("G", G, E), "D": opt("D", D)}
        step = {
            "reg-gan": lambda t: reg_gan_step(o, G, D, E, opts["G"], opts["D"], take),
            "ali": lambda t: ali_step(G, D, E, opts["G"], opts["D"], take),
            "veegan": lambda t: veegan_step(o, G, D, E, opts["G"], opts["D"], take),
        }[method]
        return step, nets, opts
    if method in ("ebgan", "began"):
        opts = {"G": opt("G", G), "D": opt("D", D)}
        state = {"k": 0.0}
        return (lambda t: autoencoder_step(method, o, G, D, opts["G"], opts["D"], take, state)), nets, opts
    lens = None
    if method.startswith("lens-"):
        method = method[len("lens-"):]
        lens = nets["L"]
    d_loss, g_loss, n_critic = {
        "gan": (gan_d, gan_g_minimax, 1),
        "nsgan": (gan_d, gan_g_nonsaturating, 1),
        "lsgan": (lsgan_d, lsgan_g, 1),
        "wgan": (wgan_d, wgan_g, o.get("nCritic", 5)),
        "wgan-gp": (wgan_d, wgan_g, o.get("nCritic", 5)),
        # Lin et al. 2018, §3: D judges packs of m samples, concatenated (consecutive samples form a pack).
        "pacgan": (gan_d, gan_g_nonsaturating, 1),
    }[method]
    m = o.get("packing", 2) if method == "pacgan" else 1

    def pack(t):
        return t if m == 1 else t.reshape(-1, t.shape[1] * m, *t.shape[2:])

    opts = {"G": opt("G", G), "D": opt("D", D)}
    if lens is not None:
        # The lens trains with G's side's settings (Sajjadi et al. 2018 give L its own Adam).
        opts["L"] = opt("L", lens)
    optG, optD = opts["G"], opts["D"]

    def step(t):
        out = {}
        for i in range(n_critic):
            x = take("real")
            z = take("z")
            fake = G(z) if n_critic == 1 else G(z).detach()
            xr = lens(x).detach() if lens is not None else x
            loss = d_loss(D(pack(xr)), D(pack(fake.detach())))
            if method == "wgan-gp":
                # Gulrajani et al. 2017, Algorithm 1: x̂ = εx + (1 − ε)x̃, ε ~ U[0, 1], penalty λ(‖∇D(x̂)‖ − 1)².
                state = take("rng")
                if state is not None:
                    torch.set_rng_state(state)
                eps = torch.rand(x.shape[0], *([1] * (x.dim() - 1)), dtype=x.dtype)
                xhat = (xr * eps + fake.detach() * (1 - eps)).detach().requires_grad_(True)
                (g,) = torch.autograd.grad(D(xhat).sum(), xhat, create_graph=True)
                gp = o["lambda"] * ((g.flatten(1).norm(2, dim=1) - 1) ** 2).mean()
                out["gp"] = gp.item()
                loss = loss + gp
            optD.zero_grad()
            loss.backward()
            optD.step()
            out["d"] = loss.item()
            if method == "wgan":
                with torch.no_grad():
                    for q in D.parameters():
                        q.clamp_(-o.get("clip", 0.01), o.get("clip", 0.01))
            if lens is not None and i == n_critic - 1:
                # The lens after the last critic update: λ_t (−L_D(L(x), G(z))) + ‖x − L(x)‖², λ_t = 1 − sin(tπ/2K).
                K = o["K"]
                lam = 0.0 if K <= 0 or t > K else 1 - math.sin(t * math.pi / (2 * K))
                lensed = lens(x)
                adv = -d_loss(D(pack(lensed)), D(pack(fake.detach())))
                rec = ((x - lensed) ** 2).flatten(1).sum(1).mean()
                opts["L"].zero_grad()
                (adv * lam + rec).backward(inputs=lens.parameters())
                opts["L"].step()
                out["lambda"] = lam
                out["lens_rec"] = rec.item()
        if n_critic > 1:
            fake = G(take("z"))
        lg = g_loss(D(pack(fake)))
        optG.zero_grad()
        lg.backward()
        optG.step()
        out["g"] = lg.item()
        return out

    return step, nets, opts


def main(folder):
    folder = Path(folder)
    case = json.loads((folder / "case.json").read_text())
    init = load_safetensors(folder / "init.safetensors")
    step, nets, opts = build(case, init, feeder(load_safetensors(folder / "inputs.safetensors")))
    losses = [step(t) for t in range(case["steps"])]
    write_all(folder, nets, opts, losses)


if __name__ == "__main__":
    # Several folders in one process (the test's cases): a case that fails writes error.txt in its
    # folder, and the others still run.
    failed = 0
    for arg in sys.argv[1:]:
        try:
            main(arg)
        except Exception:
            import traceback

            (Path(arg) / "error.txt").write_text(traceback.format_exc())
            failed += 1
    sys.exit(1 if failed else 0)
