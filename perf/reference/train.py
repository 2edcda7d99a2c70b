"""A second opinion on a training run: one of gantry's methods trained in PyTorch from the same
initial weights, with PyTorch's own random stream for data and noise, by the update that
test/methods/parity.test.ts checks against gantry's (perf/reference/methods.py). Written for
perf/second-opinion.ts, which prepares the folder, then scores the samples with gantry's metrics.

    python3 perf/reference/train.py <folder>

<folder>/case.json: the method as methods.py reads it, plus "train": {seed, steps, samples,
data: {kind: "digits" | "stacked", size: 28 | 32}}; init.safetensors: the networks' initial
weights (gantry's for this seed); case.json's "digits" (a path from the folder): "images", the
training digits as uint8 [n, 28, 28]. Writes samples.safetensors ("x": float32 [samples, c, h, w] in [-1, 1], G with
BatchNorm on its running statistics, as gantry samples) and train.json (seconds, last losses).
"""
import json
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).parent))
from methods import build, load_safetensors, save_safetensors  # noqa: E402


def sampler(digits, data):
    """Real batches as gantry's samplers draw them (src/data/images.ts): pixels x / 127.5 - 1;
    Stacked-MNIST: three training digits drawn independently as R, G, B; 32×32: padded with -1."""
    pixels = digits.float() / 127.5 - 1
    n_digits = pixels.shape[0]

    def draw(n):
        if data["kind"] == "stacked":
            x = pixels[torch.randint(0, n_digits, (n * 3,))].view(n, 3, 28, 28)
        else:
            x = pixels[torch.randint(0, n_digits, (n,))].unsqueeze(1)
        return F.pad(x, (2, 2, 2, 2), value=-1.0) if data.get("size", 28) == 32 else x

    return draw


def main(folder):
    folder = Path(folder)
    case = json.loads((folder / "case.json").read_text())
    train = case["train"]
    torch.manual_seed(train["seed"])
    draw = sampler(load_safetensors(folder / case.get("digits", "digits.safetensors"))["images"], train["data"])
    if train.get("dump"):
        # Only real batches, for the test that they are drawn as gantry's samplers draw them.
        save_safetensors(folder / "real.safetensors", {"x": draw(train["dump"])})
        return
    p = case["protocol"]
    m = case["options"].get("packing", 1) if case["method"] == "pacgan" else 1
    batch, latent = p["batchSize"], p["latentDim"]

    def take(kind):
        if kind == "real":
            return draw(batch * m)
        if kind == "z":
            return torch.randn(batch * m, latent)
        return None  # WGAN-GP's interpolation: PyTorch's own stream, nothing to restore

    step, nets, _ = build(case, load_safetensors(folder / "init.safetensors"), take)
    t0 = time.perf_counter()
    losses = {}
    for t in range(train["steps"]):
        losses = step(t)
    seconds = time.perf_counter() - t0
    G = nets["G"]
    G.training = False
    with torch.no_grad():
        x = torch.cat([G(torch.randn(min(1000, train["samples"] - i), latent)) for i in range(0, train["samples"], 1000)], 0)
    save_safetensors(folder / "samples.safetensors", {"x": x.float()})
    (folder / "train.json").write_text(json.dumps({"seconds": seconds, "steps_per_second": train["steps"] / seconds, "last_losses": losses, "torch": torch.__version__}))


if __name__ == "__main__":
    main(sys.argv[1])
