// The op table: one line per libtorch function, named as the JavaScript side calls it.
// Argument macros (T, D, IL, ...) are defined in binding.h; a wrong argument or a libtorch
// error becomes a JavaScript Error.
#include "binding.h"
#include "kernels.h"

#include <ATen/Parallel.h>

#include <cmath>

namespace gantry {

static at::Scalar scalarOr(const Napi::CallbackInfo& info, size_t i) {
  if (info[i].IsBoolean()) return at::Scalar(argBool(info, i));
  return at::Scalar(argDouble(info, i));
}

// Adam, one pass over each parameter's elements: read g, m, v, p once and write m, v, p once, where
// PyTorch's single-tensor Adam makes five passes (five kernel launches) per parameter. Same
// formula, same order of operations (torch/optim/adam.py); the tensor-op path below handles
// anything that is not a contiguous float tensor on the CPU.
template <typename scalar_t>
static void adamKernel(torch::Tensor& p, const torch::Tensor& g, torch::Tensor& m, torch::Tensor& v, double lr,
                       double b1, double b2, double eps, double wd, double bc1, double bc2Sqrt) {
  scalar_t* P = p.data_ptr<scalar_t>();
  const scalar_t* G = g.data_ptr<scalar_t>();
  scalar_t* M = m.data_ptr<scalar_t>();
  scalar_t* V = v.data_ptr<scalar_t>();
  const scalar_t B1 = b1, B2 = b2, A1 = 1 - b1, A2 = 1 - b2, WD = wd, E = eps, C2 = bc2Sqrt, step = -lr / bc1;
  at::parallel_for(0, p.numel(), 32768, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; i++) {
      scalar_t grad = wd != 0 ? G[i] + WD * P[i] : G[i];
      M[i] = M[i] * B1 + A1 * grad;
      V[i] = V[i] * B2 + A2 * grad * grad;
      P[i] += step * M[i] / (std::sqrt(V[i]) / C2 + E);
    }
  });
}

static bool fusable(const torch::Tensor& p, const torch::Tensor& g, const torch::Tensor& m, const torch::Tensor& v) {
  auto ok = [&](const torch::Tensor& t) {
    return t.device().is_cpu() && t.is_contiguous() && t.scalar_type() == p.scalar_type() && t.numel() == p.numel();
  };
  return (p.scalar_type() == torch::kFloat || p.scalar_type() == torch::kDouble) && ok(p) && ok(g) && ok(m) && ok(v);
}

// PyTorch's Adam (torch/optim/adam.py, single-tensor path), one native call per optimizer step.
// The 2-norm of all the gradients of a parameter list (those that have one), as one number: what
// a training run logs as grad_norm_G / grad_norm_D every step, without a JS round trip per tensor.
static double gradNorm(const Napi::CallbackInfo& info) {
  auto params = argTensors(info, 0);
  torch::NoGradGuard noGrad;
  double sum = 0;
  for (auto& p : params) {
    torch::Tensor g = p.grad();
    if (g.defined()) sum += g.to(torch::kDouble).square().sum().item<double>();
  }
  return std::sqrt(sum);
}

static void adamStep(const Napi::CallbackInfo& info) {
  auto params = argTensors(info, 0), m = argTensors(info, 1), v = argTensors(info, 2);
  double step = argDouble(info, 3), lr = argDouble(info, 4), b1 = argDouble(info, 5), b2 = argDouble(info, 6),
         eps = argDouble(info, 7), wd = argDouble(info, 8);
  torch::NoGradGuard noGrad;
  double bc1 = 1 - std::pow(b1, step), bc2Sqrt = std::sqrt(1 - std::pow(b2, step));
  for (size_t k = 0; k < params.size(); k++) {
    torch::Tensor g = params[k].grad();
    if (!g.defined()) continue;
    if (fusable(params[k], g, m[k], v[k])) {
      if (params[k].scalar_type() == torch::kFloat)
        adamKernel<float>(params[k], g, m[k], v[k], lr, b1, b2, eps, wd, bc1, bc2Sqrt);
      else
        adamKernel<double>(params[k], g, m[k], v[k], lr, b1, b2, eps, wd, bc1, bc2Sqrt);
      continue;
    }
    if (wd != 0) g = g.add(params[k], wd);
    m[k].mul_(b1).add_(g, 1 - b1);
    v[k].mul_(b2).addcmul_(g, g, 1 - b2);
    torch::Tensor denom = (v[k].sqrt() / bc2Sqrt).add_(eps);
    params[k].addcdiv_(m[k], denom, -lr / bc1);
  }
}

// PyTorch's RMSprop (torch/optim/rmsprop.py); buffers are empty tensors when unused.
static void rmspropStep(const Napi::CallbackInfo& info) {
  auto params = argTensors(info, 0), sq = argTensors(info, 1), mom = argTensors(info, 2), avg = argTensors(info, 3);
  double lr = argDouble(info, 4), alpha = argDouble(info, 5), eps = argDouble(info, 6), wd = argDouble(info, 7),
         momentum = argDouble(info, 8);
  bool centered = argBool(info, 9);
  torch::NoGradGuard noGrad;
  for (size_t k = 0; k < params.size(); k++) {
    torch::Tensor g = params[k].grad();
    if (!g.defined()) continue;
    if (wd != 0) g = g.add(params[k], wd);
    sq[k].mul_(alpha).addcmul_(g, g, 1 - alpha);
    torch::Tensor denom;
    if (centered) {
      avg[k].mul_(alpha).add_(g, 1 - alpha);
      denom = sq[k].addcmul(avg[k], avg[k], -1).sqrt_().add_(eps);
    } else {
      denom = sq[k].sqrt().add_(eps);
    }
    if (momentum > 0) {
      mom[k].mul_(momentum).addcdiv_(g, denom);
      params[k].add_(mom[k], -lr);
    } else {
      params[k].addcdiv_(g, denom, -lr);
    }
  }
}

// PyTorch's SGD (torch/optim/sgd.py); `first` marks the step that initialises the momentum buffer.
static void sgdStep(const Napi::CallbackInfo& info) {
  auto params = argTensors(info, 0), bufs = argTensors(info, 1);
  double lr = argDouble(info, 2), momentum = argDouble(info, 3), dampening = argDouble(info, 4), wd = argDouble(info, 5);
  bool nesterov = argBool(info, 6), first = argBool(info, 7);
  torch::NoGradGuard noGrad;
  for (size_t k = 0; k < params.size(); k++) {
    torch::Tensor g = params[k].grad();
    if (!g.defined()) continue;
    if (wd != 0) g = g.add(params[k], wd);
    if (momentum != 0) {
      if (first) bufs[k].copy_(g);
      else bufs[k].mul_(momentum).add_(g, 1 - dampening);
      g = nesterov ? g.add(bufs[k], momentum) : bufs[k];
    }
    params[k].add_(g, -lr);
  }
}

void registerTensorOps(Napi::Env env, Napi::Object exports) {
  // creation
  OP(zeros, torch::zeros(IL(0), OPTS(1, 2)));
  OP(ones, torch::ones(IL(0), OPTS(1, 2)));
  OP(full, torch::full(IL(0), D(1), OPTS(2, 3)));
  OP(empty, torch::empty(IL(0), OPTS(1, 2)));
  OP(eye, torch::eye(I(0), OPTS(1, 2)));
  OP(randn, torch::randn(IL(0), OPTS(1, 2)));
  OP(rand, torch::rand(IL(0), OPTS(1, 2)));
  OP(randint, torch::randint(I(0), I(1), IL(2), OPTS(3, 4)));
  OP(randperm, torch::randperm(I(0), OPTS(1, 2)));
  OP(arange, torch::arange(D(0), D(1), D(2), OPTS(3, 4)));
  OP(linspace, torch::linspace(D(0), D(1), I(2), OPTS(3, 4)));
  OP(multinomial, torch::multinomial(T(0), I(1), B(2)));
  OP(zerosLike, torch::zeros_like(T(0)));
  OP(onesLike, torch::ones_like(T(0)));
  OP(randnLike, torch::randn_like(T(0)));
  OP(randLike, torch::rand_like(T(0)));

  // conversion and graph
  OP(toDtype, T(0).to(DT(1)));
  OP(toDevice, T(0).to(DEV(1)));
  OP(detach, T(0).detach());
  OP(clone, T(0).clone());
  OP(contiguous, T(0).contiguous());
  OP(isContiguous, T(0).is_contiguous());

  // shape
  OP(reshape, T(0).reshape(IL(1)));
  OP(view, T(0).view(IL(1)));
  OP(transpose, T(0).transpose(I(1), I(2)));
  OP(permute, T(0).permute(IL(1)));
  OP(cat, torch::cat(TL(0), I(1)));
  OP(stack, torch::stack(TL(0), I(1)));
  OP(split, T(0).split(I(1), I(2)));
  OP(splitSizes, T(0).split_with_sizes(IL(1), I(2)));
  OP(chunk, T(0).chunk(I(1), I(2)));
  OP(narrow, T(0).narrow(I(1), I(2), I(3)));
  OP(slice, T(0).slice(I(1), I(2), I(3), I(4)));
  OP(select, T(0).select(I(1), I(2)));
  OP(indexSelect, T(0).index_select(I(1), T(2)));
  OP(gather, T(0).gather(I(1), T(2)));
  OP(maskedSelect, T(0).masked_select(T(1)));
  OP(expand, T(0).expand(IL(1)));
  OP(flatten, T(0).flatten(I(1), I(2)));
  OP(repeat, T(0).repeat(IL(1)));
  OP(squeeze, T(0).squeeze(I(1)));
  OP(unsqueeze, T(0).unsqueeze(I(1)));
  OP(tril, T(0).tril(I(1)));
  OP(triu, T(0).triu(I(1)));
  OP(diag, T(0).diag(I(1)));

  // elementwise binary (tensor ⊙ tensor, tensor ⊙ scalar)
  OP(add, torch::add(T(0), T(1), D(2)));
  OP(addScalar, torch::add(T(0), D(1)));
  OP(sub, torch::sub(T(0), T(1), D(2)));
  OP(rsubScalar, torch::rsub(T(0), D(1)));
  OP(mul, torch::mul(T(0), T(1)));
  OP(mulScalar, torch::mul(T(0), D(1)));
  OP(div, torch::div(T(0), T(1)));
  OP(divScalar, torch::div(T(0), D(1)));
  OP(pow, torch::pow(T(0), T(1)));
  OP(powScalar, torch::pow(T(0), D(1)));
  OP(maximum, torch::maximum(T(0), T(1)));
  OP(minimum, torch::minimum(T(0), T(1)));
  OP(atan2, torch::atan2(T(0), T(1)));

  // elementwise unary
  OP(neg, torch::neg(T(0)));
  OP(exp, torch::exp(T(0)));
  OP(log, torch::log(T(0)));
  OP(log1p, torch::log1p(T(0)));
  OP(sqrt, torch::sqrt(T(0)));
  OP(rsqrt, torch::rsqrt(T(0)));
  OP(abs, torch::abs(T(0)));
  OP(sign, torch::sign(T(0)));
  OP(square, torch::square(T(0)));
  OP(sin, torch::sin(T(0)));
  OP(cos, torch::cos(T(0)));
  OP(floor, torch::floor(T(0)));
  OP(ceil, torch::ceil(T(0)));
  OP(round, torch::round(T(0)));
  OP(reciprocal, torch::reciprocal(T(0)));
  OP(clamp, torch::clamp(T(0), OS(1), OS(2)));
  OP(isfinite, torch::isfinite(T(0)));

  // comparisons and selection
  OP(eq, torch::eq(T(0), T(1)));
  OP(ne, torch::ne(T(0), T(1)));
  OP(lt, torch::lt(T(0), T(1)));
  OP(le, torch::le(T(0), T(1)));
  OP(gt, torch::gt(T(0), T(1)));
  OP(ge, torch::ge(T(0), T(1)));
  OP(eqScalar, torch::eq(T(0), scalarOr(info, 1)));
  OP(neScalar, torch::ne(T(0), scalarOr(info, 1)));
  OP(ltScalar, torch::lt(T(0), D(1)));
  OP(leScalar, torch::le(T(0), D(1)));
  OP(gtScalar, torch::gt(T(0), D(1)));
  OP(geScalar, torch::ge(T(0), D(1)));
  OP(where, torch::where(T(0), T(1), T(2)));
  OP(logicalNot, torch::logical_not(T(0)));
  OP(logicalAnd, torch::logical_and(T(0), T(1)));
  OP(logicalOr, torch::logical_or(T(0), T(1)));

  // activations
  OP(relu, torch::relu(T(0)));
  OPV(relu_, torch::relu_(T(0)));
  OP(leakyRelu, torch::leaky_relu(T(0), D(1)));
  OP(elu, torch::elu(T(0), D(1)));
  OP(tanh, torch::tanh(T(0)));
  OP(sigmoid, torch::sigmoid(T(0)));
  OP(softplus, torch::softplus(T(0), D(1), D(2)));
  OP(logSigmoid, torch::log_sigmoid(T(0)));
  OP(softmax, torch::softmax(T(0), I(1)));
  OP(logSoftmax, torch::log_softmax(T(0), I(1)));

  // reductions
  OP(sum, torch::sum(T(0)));
  OP(sumDim, torch::sum(T(0), IL(1), B(2)));
  OP(mean, torch::mean(T(0)));
  OP(meanDim, torch::mean(T(0), IL(1), B(2)));
  OP(max, torch::max(T(0)));
  OP(maxDim, torch::max(T(0), I(1), B(2)));
  OP(min, torch::min(T(0)));
  OP(minDim, torch::min(T(0), I(1), B(2)));
  OP(argmax, torch::argmax(T(0), I(1), B(2)));
  OP(argmin, torch::argmin(T(0), I(1), B(2)));
  OP(norm, torch::norm(T(0), D(1)));
  OP(normDim, torch::norm(T(0), D(1), IL(2), B(3)));
  OP(logsumexp, torch::logsumexp(T(0), IL(1), B(2)));
  OP(var, torch::var(T(0), IL(1), B(2), B(3)));
  OP(std, torch::std(T(0), IL(1), B(2), B(3)));
  OP(prod, torch::prod(T(0)));
  OP(cumsum, torch::cumsum(T(0), I(1)));
  OP(topk, torch::topk(T(0), I(1), I(2), B(3), true));
  OP(sort, torch::sort(T(0), I(1), B(2)));
  OP(bincount, torch::bincount(T(0), {}, I(1)));
  OP(allclose, torch::allclose(T(0), T(1), D(2), D(3)));

  // linear algebra
  OP(matmul, torch::matmul(T(0), T(1)));
  OP(mm, torch::mm(T(0), T(1)));
  OP(bmm, torch::bmm(T(0), T(1)));
  OP(linear, torch::linear(T(0), T(1), OT(2)));
  OP(cdist, torch::cdist(T(0), T(1), D(2)));
  OP(eigh, torch::linalg_eigh(T(0), "L"));
  OP(eigvalsh, torch::linalg_eigvalsh(T(0), "L"));
  OP(cholesky, torch::linalg_cholesky(T(0)));
  OP(inverse, torch::linalg_inv(T(0)));

  // convolution, pooling, normalisation
  OP(conv2d, ::gantry::conv2d(T(0), T(1), OT(2), IL(3), IL(4), IL(5), I(6)));
  OP(conv2dPaddedChannelsLast, ::gantry::conv2dPaddedChannelsLast(T(0), T(1), OT(2), IL(3)));
  // libtorch's own, whatever the shape: the reference the direct kernel is tested against.
  OP(conv2dLibtorch, torch::conv2d(T(0), T(1), OT(2), IL(3), IL(4), IL(5), I(6)));
  OP(convTranspose2d, torch::conv_transpose2d(T(0), T(1), OT(2), IL(3), IL(4), IL(5), I(6), IL(7)));
  OP(maxPool2d, torch::max_pool2d(T(0), IL(1), IL(2), IL(3)));
  OP(avgPool2d, torch::avg_pool2d(T(0), IL(1), IL(2), IL(3)));
  OP(batchNorm, ::gantry::batchNorm(T(0), OT(1), OT(2), OT(3), OT(4), B(5), D(6), D(7)));
  // libtorch's own, whatever the input: the reference the native kernel is tested against.
  OP(batchNormLibtorch, torch::batch_norm(T(0), OT(1), OT(2), OT(3), OT(4), B(5), D(6), D(7), true));
  OP(dropout, torch::dropout(T(0), D(1), B(2)));
  OP(constantPad, torch::constant_pad_nd(T(0), IL(1), D(2)));
  OP(pixelShuffle, torch::pixel_shuffle(T(0), I(1)));
  OP(cropShuffle, ::gantry::cropShuffle(T(0), I(1), I(2), I(3), I(4), I(5), OT(6)));
  OP(interpolateBilinear, torch::upsample_bilinear2d(T(0), IL(1), B(2)));

  // losses
  OP(bceWithLogits, torch::binary_cross_entropy_with_logits(T(0), T(1), OT(2), {}, RED(3)));
  OP(bce, torch::binary_cross_entropy(T(0), T(1), OT(2), RED(3)));
  OP(mseLoss, torch::mse_loss(T(0), T(1), RED(2)));
  OP(l1Loss, torch::l1_loss(T(0), T(1), RED(2)));
  OP(crossEntropy, torch::cross_entropy_loss(T(0), T(1), {}, RED(2)));
  OP(nllLoss, torch::nll_loss(T(0), T(1), {}, RED(2)));

  // in place, under PyTorch's autograd rules: recorded when grad mode is on (an in-place op on a
  // leaf that requires grad is refused, one that overwrites a value backward needs fails at
  // backward()); initialisers, optimizers and clipping run them inside noGrad(), as torch.nn.init does.
  OPV(copy_, T(0).copy_(T(1)));
  OPV(zero_, T(0).zero_());
  OPV(fill_, T(0).fill_(D(1)));
  OPV(normal_, T(0).normal_(D(1), D(2)));
  OPV(uniform_, T(0).uniform_(D(1), D(2)));
  OPV(clamp_, T(0).clamp_(OS(1), OS(2)));
  OPV(mulScalar_, T(0).mul_(D(1)));
  OPV(add_, T(0).add_(T(1), D(2)));
  reg(env, exports, "gradNorm", [](const Napi::CallbackInfo& info) -> Napi::Value { return Napi::Number::New(info.Env(), gradNorm(info)); });
  reg(env, exports, "adamStep", [](const Napi::CallbackInfo& info) -> Napi::Value { adamStep(info); return info.Env().Undefined(); });
  reg(env, exports, "rmspropStep", [](const Napi::CallbackInfo& info) -> Napi::Value { rmspropStep(info); return info.Env().Undefined(); });
  reg(env, exports, "sgdStep", [](const Napi::CallbackInfo& info) -> Napi::Value { sgdStep(info); return info.Env().Undefined(); });
}

}  // namespace gantry
