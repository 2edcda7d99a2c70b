"""W4 (docs/ENGINE.md) with gantry's sub-pixel transposed convolution replayed in PyTorch ops, to
see where a step's time goes on this CPU with libtorch's profiler.

    /usr/bin/python3 perf/reference/w4_replay.py [--route subpixel|libtorch] [--channels-last] [--prof]

--channels-last runs the few-channel convolutions (D's three, G's final 8 -> 3) in channels-last,
converting input and weight and making the output contiguous again. oneDNN's own per-primitive log
of gantry's step: ONEDNN_VERBOSE=1 node dist/perf/engine-worker.js w4 6 cpu, then type `rep`.
"""
import argparse, time
import torch, torch.nn as nn, torch.nn.functional as F

from engine import image_gan_step  # perf/reference/engine.py: the same step as the engine benchmark

p = argparse.ArgumentParser()
p.add_argument("--route", choices=["subpixel", "libtorch"], default="subpixel")
p.add_argument("--channels-last", action="store_true")
p.add_argument("--prof", action="store_true")
args = p.parse_args()
torch.set_num_threads(2)
torch.manual_seed(0)


def phase_taps(k, p):
    """As phaseTaps in src/torch/functional.ts: the shared phase kernels' taps along one axis."""
    offsets = [(a + p - t) // 2 for a in (0, 1) for t in range(k) if (t - a - p) % 2 == 0]
    d_min = min(offsets)
    L = max(offsets) - d_min + 1
    tap = [[a + p - 2 * (d_min + j) if 0 <= a + p - 2 * (d_min + j) < k else -1 for j in range(L)] for a in (0, 1)]
    return d_min, L, tap


class ConvT(nn.Module):
    """A stride-2 transposed convolution, by gantry's sub-pixel route (square kernels)."""
    def __init__(self, cin, cout, k, padding, output_padding):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(cin, cout, k, k) * 0.02)
        self.bias = nn.Parameter(torch.zeros(cout))
        self.k, self.p, self.op = k, padding, output_padding
        self.d_min, self.L, tap = phase_taps(k, padding)
        L = self.L
        index = [k * k if tap[ah][i] < 0 or tap[aw][j] < 0 else tap[ah][i] * k + tap[aw][j]
                 for ah in (0, 1) for aw in (0, 1) for i in range(L) for j in range(L)]
        self.register_buffer("index", torch.tensor(index))

    def forward(self, x):
        if args.route == "libtorch":
            return F.conv_transpose2d(x, self.weight, self.bias, stride=2, padding=self.p, output_padding=self.op)
        n, cin, h, _ = x.shape
        cout, k, L = self.weight.shape[1], self.k, self.L
        out = (h - 1) * 2 - 2 * self.p + k + self.op
        flat = torch.cat([self.weight.permute(1, 0, 2, 3).reshape(cout, cin, k * k), torch.zeros(cout, cin, 1)], 2)
        K = flat.index_select(2, self.index).view(cout, cin, 4, L, L).permute(0, 2, 1, 3, 4).reshape(cout * 4, cin, L, L)
        m = (out + 1) // 2
        before, after = -self.d_min, m + self.d_min + L - 1 - h
        pad = max(before, after)
        s = pad - before
        y = F.conv2d(x, K, None, padding=pad)[:, :, s:s + m, s:s + m]
        return F.pixel_shuffle(y, 2)[:, :, :out, :out] + self.bias.view(1, -1, 1, 1)


class FewConv(nn.Conv2d):
    def forward(self, x):
        if not args.channels_last:
            return super().forward(x)
        cl = torch.channels_last
        return F.conv2d(x.contiguous(memory_format=cl), self.weight.contiguous(memory_format=cl), self.bias,
                        self.stride, self.padding).contiguous()


G = nn.Sequential(
    nn.Linear(256, 4 * 4 * 64), nn.Unflatten(1, (64, 4, 4)), nn.BatchNorm2d(64), nn.ReLU(),
    ConvT(64, 32, 3, 1, 0), nn.BatchNorm2d(32), nn.ReLU(),
    ConvT(32, 16, 3, 1, 1), nn.BatchNorm2d(16), nn.ReLU(),
    ConvT(16, 8, 3, 1, 1), nn.BatchNorm2d(8), nn.ReLU(),
    FewConv(8, 3, 3, padding=1), nn.Tanh())
D = nn.Sequential(
    FewConv(3, 2, 3, stride=2, padding=1), nn.LeakyReLU(0.3),
    FewConv(2, 4, 3, stride=2, padding=1), nn.BatchNorm2d(4), nn.LeakyReLU(0.3),
    FewConv(4, 8, 3, stride=2, padding=1), nn.BatchNorm2d(8), nn.LeakyReLU(0.3),
    nn.Flatten(), nn.Linear(8 * 4 * 4, 1))
# The replay is only worth reading if its route computes libtorch's transposed convolution.
with torch.no_grad():
    for layer, size in ((G[4], 4), (G[7], 7), (G[10], 14)):
        x = torch.randn(2, layer.weight.shape[0], size, size)
        want = F.conv_transpose2d(x, layer.weight, layer.bias, stride=2, padding=layer.p, output_padding=layer.op)
        assert torch.allclose(layer(x), want, atol=1e-5), f"sub-pixel replay of {tuple(layer.weight.shape)} differs from conv_transpose2d"
optG = torch.optim.Adam(G.parameters(), lr=1e-4, betas=(0.5, 0.99))
optD = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.99))
step = image_gan_step(G, D, optG, optD, (128, 3, 28, 28), 256)


for _ in range(5):
    step()
reps = []
for _ in range(5):
    t0 = time.perf_counter()
    for _ in range(6):
        step()
    reps.append((time.perf_counter() - t0) / 6 * 1000)
reps.sort()
print(f"route {args.route}, channels-last few-channel convs {args.channels_last}: median {reps[2]:.1f} ms a step (5 × 6 steps: {', '.join(f'{r:.1f}' for r in reps)})")
if args.prof:
    with torch.profiler.profile(record_shapes=True) as prof:
        for _ in range(5):
            step()
    print(prof.key_averages(group_by_input_shape=True).table(sort_by="self_cpu_time_total", row_limit=40, max_name_column_width=40, max_shapes_column_width=70))
