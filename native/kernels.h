// Hand-written CPU kernels for the shapes where libtorch's are slow (docs/ENGINE.md, "W4"), each
// an autograd function whose backward is built from the same functions (or libtorch's), so
// gradients of gradients work (WGAN-GP's penalty, unrolled updates). Anything else goes to
// libtorch unchanged, and GANTRY_KERNELS=libtorch sends everything there.
#pragma once

#include <torch/torch.h>

#include <vector>

namespace gantry {

// As torch::conv2d. Few-channel convolutions on the CPU (in·out channels ≤ 32, float or double,
// groups 1, no dilation: the discriminators and the last layer of the small-d networks) run on a
// direct kernel instead of oneDNN, which pads their 2-, 3-, 4- and 8-channel tensors to its 16- (or
// 8-) channel blocks and back on every call.
torch::Tensor conv2d(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b, std::vector<int64_t> stride,
                     std::vector<int64_t> padding, std::vector<int64_t> dilation, int64_t groups);

// A stride-1 convolution of x zero-padded by pads = [left, right, top, bottom] (as constant_pad_nd),
// with oneDNN given channels-last tensors where the direct kernel does not apply: its result is
// channels-last, and neither the result nor its gradient is reordered to and from oneDNN's channel
// blocks (measured: docs/ENGINE.md, "W4"). The padding and the move to channels-last are one native
// pass, and so is its gradient's crop back to NCHW.
torch::Tensor conv2dPaddedChannelsLast(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b, std::vector<int64_t> pads);

// The last steps of a stride-r sub-pixel transposed convolution in one pass: from the phase
// convolution's output x [n, c·r², H, W], y[n, c, h, w] = x[n, c·r² + (h mod r)·r + (w mod r),
// h0 + h / r, w0 + w / r] + b[c] for h < outH, w < outW; that is, x cropped to the rows and
// columns the phases use, pixel-shuffled, cropped to the output size and the bias added.
torch::Tensor cropShuffle(const torch::Tensor& x, int64_t r, int64_t h0, int64_t w0, int64_t outH, int64_t outW,
                          const torch::Tensor& b);

// As torch::batch_norm. In training on the CPU (float or double, 2-D to 4-D) the statistics, the
// normalisation and the first-order backward run on one native pass per channel each; evaluation,
// other devices and gradients of gradients are libtorch's.
torch::Tensor batchNorm(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias, const torch::Tensor& runningMean,
                        const torch::Tensor& runningVar, bool training, double momentum, double eps);

}  // namespace gantry
