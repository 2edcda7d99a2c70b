"""PyTorch reference for perf/engine: the workloads of docs/ENGINE.md, op for op as perf/workloads.ts.

Serves one workload over stdin/stdout so that the gantry and PyTorch repetitions interleave:
  python3 perf/reference/engine.py w1a THREADS STEPS_PER_REP [DEVICE]   then lines: "rep" -> {"ms": per-step ms}, "quit" -> {"peak_rss_mb": ...}
"""
import json
import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def ring_centres():
    return torch.tensor([[2 * math.cos(2 * math.pi * k / 8), 2 * math.sin(2 * math.pi * k / 8)] for k in range(8)])


def ring_batch(centres, batch):
    return centres.index_select(0, torch.randint(0, 8, (batch,))) + torch.randn(batch, 2) * 0.02


def mlp(i, h, o):
    return nn.Sequential(nn.Linear(i, h), nn.ReLU(), nn.Linear(h, h), nn.ReLU(), nn.Linear(h, o))


def w1(hidden, batch):
    G, D = mlp(2, hidden, 2), mlp(2, hidden, 1)
    optG = torch.optim.Adam(G.parameters(), lr=1e-3, betas=(0.5, 0.999))
    optD = torch.optim.Adam(D.parameters(), lr=1e-3, betas=(0.5, 0.999))
    centres, real1, fake0 = ring_centres(), torch.ones(batch, 1), torch.zeros(batch, 1)

    def step():
        x = ring_batch(centres, batch)
        with torch.no_grad():
            fake = G(torch.randn(batch, 2))
        lossD = F.binary_cross_entropy_with_logits(D(x), real1) + F.binary_cross_entropy_with_logits(D(fake), fake0)
        optD.zero_grad()
        lossD.backward()
        optD.step()
        lossG = F.binary_cross_entropy_with_logits(D(G(torch.randn(batch, 2))), real1)
        optG.zero_grad()
        lossG.backward()
        optG.step()

    return step


def w2(hidden, batch):
    G, D = mlp(2, hidden, 2), mlp(2, hidden, 1)
    optG = torch.optim.Adam(G.parameters(), lr=1e-4, betas=(0.5, 0.9))
    optD = torch.optim.Adam(D.parameters(), lr=1e-4, betas=(0.5, 0.9))
    centres = ring_centres()

    def step():
        x = ring_batch(centres, batch)
        with torch.no_grad():
            fake = G(torch.randn(batch, 2))
        eps = torch.rand(batch, 1)
        xhat = (x * eps + fake * (1 - eps)).requires_grad_(True)
        (g,) = torch.autograd.grad(D(xhat).sum(), xhat, create_graph=True)
        penalty = (g.norm(2, dim=1) - 1).square().mean() * 10
        lossD = D(fake).mean() - D(x).mean() + penalty
        optD.zero_grad()
        lossD.backward()
        optD.step()
        lossG = -D(G(torch.randn(batch, 2))).mean()
        optG.zero_grad()
        lossG.backward()
        optG.step()

    return step


def w3(batch=64):
    G = nn.Sequential(
        nn.Linear(64, 128 * 7 * 7), nn.Unflatten(1, (128, 7, 7)), nn.BatchNorm2d(128), nn.ReLU(),
        nn.ConvTranspose2d(128, 64, 5, stride=2, padding=2, output_padding=1), nn.BatchNorm2d(64), nn.ReLU(),
        nn.ConvTranspose2d(64, 1, 5, stride=2, padding=2, output_padding=1), nn.Tanh(),
    )
    D = nn.Sequential(
        nn.Conv2d(1, 64, 5, stride=2, padding=2), nn.LeakyReLU(0.2),
        nn.Conv2d(64, 128, 5, stride=2, padding=2), nn.BatchNorm2d(128), nn.LeakyReLU(0.2),
        nn.Flatten(), nn.Linear(128 * 7 * 7, 1),
    )
    optG = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    optD = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    return image_gan_step(G, D, optG, optD, (batch, 1, 28, 28), 64)


def image_gan_step(G, D, optG, optD, shape, latent):
    """One D and one G update of a DCGAN on uniform-noise "images" in [-1, 1] (W3, W4)."""
    batch = shape[0]
    real1, fake0 = torch.ones(batch, 1), torch.zeros(batch, 1)
    def step():
        x = torch.rand(*shape) * 2 - 1
        with torch.no_grad():
            fake = G(torch.randn(batch, latent))
        lossD = F.binary_cross_entropy_with_logits(D(x), real1) + F.binary_cross_entropy_with_logits(D(fake), fake0)
        optD.zero_grad()
        lossD.backward()
        optD.step()
        lossG = F.binary_cross_entropy_with_logits(D(G(torch.randn(batch, latent))), real1)
        optG.zero_grad()
        lossG.backward()
        optG.step()
    return step


def w4(batch=128):
    # small-d, D = 1/4 G (docs/PROTOCOLS.md): DCGAN init N(0, 0.02), BN scale N(1, 0.02), biases 0
    G = nn.Sequential(
        nn.Linear(256, 4 * 4 * 64), nn.Unflatten(1, (64, 4, 4)), nn.BatchNorm2d(64), nn.ReLU(inplace=True),
        nn.ConvTranspose2d(64, 32, 3, stride=2, padding=1, output_padding=0), nn.BatchNorm2d(32), nn.ReLU(inplace=True),
        nn.ConvTranspose2d(32, 16, 3, stride=2, padding=1, output_padding=1), nn.BatchNorm2d(16), nn.ReLU(inplace=True),
        nn.ConvTranspose2d(16, 8, 3, stride=2, padding=1, output_padding=1), nn.BatchNorm2d(8), nn.ReLU(inplace=True),
        nn.Conv2d(8, 3, 3, padding=1), nn.Tanh(),
    )
    D = nn.Sequential(
        nn.Conv2d(3, 2, 3, stride=2, padding=1), nn.LeakyReLU(0.3),
        nn.Conv2d(2, 4, 3, stride=2, padding=1), nn.BatchNorm2d(4), nn.LeakyReLU(0.3),
        nn.Conv2d(4, 8, 3, stride=2, padding=1), nn.BatchNorm2d(8), nn.LeakyReLU(0.3),
        nn.Flatten(), nn.Linear(8 * 4 * 4, 1),
    )
    for m in list(G.modules()) + list(D.modules()):
        if isinstance(m, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0, 0.02)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1, 0.02)
            nn.init.zeros_(m.bias)
    optG = torch.optim.Adam(G.parameters(), lr=1e-4, betas=(0.5, 0.99))
    optD = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.99))
    return image_gan_step(G, D, optG, optD, (batch, 3, 28, 28), 256)

# Steps per repetition come from perf/steps.ts, through the command line.
WORKLOADS = {
    "w1a": lambda: w1(128, 512),
    "w1b": lambda: w1(512, 256),
    "w2a": lambda: w2(128, 512),
    "w2b": lambda: w2(512, 256),
    "w3": lambda: w3(64),
    "w4": lambda: w4(128),
}


def peak_rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main():
    if len(sys.argv) not in (4, 5) or sys.argv[1] not in WORKLOADS:
        sys.exit(f"usage: engine.py WORKLOAD THREADS STEPS_PER_REP [DEVICE], WORKLOAD one of {', '.join(WORKLOADS)}")
    name, threads, steps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    device = sys.argv[4] if len(sys.argv) == 5 else "cpu"
    if device != "cpu":
        torch.set_default_device(device)  # as gantry's --device: every tensor of the workload goes there
    sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    step = WORKLOADS[name]()
    for _ in range(max(3, steps // 10)):  # warm-up
        step()
    sync()
    # The floating-point work of one step as PyTorch's profiler counts it (matrix products,
    # convolutions and the elementwise ops it has formulas for): a lower bound, the same for both
    # sides, so GFLOP/s readings compare across CPUs.
    with torch.profiler.profile(with_flops=True) as prof:
        step()
    flops = sum(e.flops for e in prof.key_averages() if e.flops)
    print(json.dumps({"ready": True, "torch": torch.__version__, "threads": torch.get_num_threads(), "device": device, "flops": flops}), flush=True)
    for line in sys.stdin:
        cmd = line.strip()
        if cmd == "rep":
            t0 = time.perf_counter()
            for _ in range(steps):
                step()
            sync()
            print(json.dumps({"ms": (time.perf_counter() - t0) * 1000 / steps}), flush=True)
        elif cmd == "quit":
            print(json.dumps({"peak_rss_mb": peak_rss_mb()}), flush=True)
            return


if __name__ == "__main__":
    main()
