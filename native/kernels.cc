// gantry's native CPU kernels (kernels.h): the direct few-channel convolution, the channels-last
// phase convolution, the sub-pixel crop-and-shuffle and batch normalisation in training. The loops
// are plain C++ that the compiler vectorises, built three times (AVX-512, AVX2 + FMA, baseline
// x86-64) and chosen at load time for the CPU at hand. Sums run in a fixed order for a given shape,
// whatever the number of threads, so a run repeats bit for bit on one machine.
#include "kernels.h"

#include <ATen/Parallel.h>
#include <ATen/record_function.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define GANTRY_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define GANTRY_CLONES
#endif
#define GANTRY_INLINE inline __attribute__((always_inline))

namespace gantry {

using torch::Tensor;
using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// libtorch's custom functions read the device of every tensor argument, so "no bias" is an empty
// tensor rather than an undefined one.
static Tensor noBias(const Tensor& like) { return torch::empty({0}, like.options().requires_grad(false)); }
static bool hasBias(const Tensor& b) { return b.defined() && b.numel() > 0; }

// GANTRY_KERNELS=libtorch sends every op here to libtorch's own kernels (for comparisons).
static bool nativeKernels() {
  static const bool on = [] {
    const char* v = std::getenv("GANTRY_KERNELS");
    return !(v && std::string(v) == "libtorch");
  }();
  return on;
}


// ---------------------------------------------------------------------------------------------
// Few-channel convolution. x [N, C, H, W], w [O, C, KH, KW], y [N, O, OH, OW], stride s, padding p:
//   y[n,o,i,j] = b[o] + Σ_{c,a,e} w[o,c,a,e] · x[n, c, i·sh + a − ph, j·sw + e − pw]
// and its two adjoints, the gradient with respect to x (a transposed convolution) and to w.
//
// Short rows make short loops, so the kernels work on flat planes instead. The padded input is
// split into its sh·sw polyphase planes P[c][u][v][m][q] = x[c][m·sh + u − ph][q·sw + v − pw]
// (zero outside x), m < R = OH + (KH−1)/sh, q < Wq = OW + (KW−1)/sw; then every tap (c, a, e) is
// one long contiguous multiply-add, y_wide[o][f] += w[o,c,a,e] · P[c][a%sh][e%sw][f + (a/sh)·Wq + e/sw]
// over the flat index f = (b·R + i)·Wq + j of a block of samples b, and the outputs with i < OH,
// j < OW are the convolution (the others read across row and sample edges and are dropped; in the
// adjoints their gradient is zero). Up to four output planes accumulate together in registers,
// so each value read serves four multiply-adds.

// The unit of the flat loops: two 64-byte vector registers per accumulator, so each weight
// broadcast from memory serves two multiply-adds.
constexpr int64_t kChunkBytes = 128;

// Strides up to this take the direct kernel (its per-phase tables live on the stack).
constexpr int64_t kMaxStride = 8;

struct Geometry {
  int64_t C, H, W, O, KH, KW, OH, OW, sh, sw, ph, pw;
  int64_t R, Wq;   // polyphase plane rows and columns per sample
  int64_t B;       // samples per block
  int64_t L;       // flat outputs of a block, rounded up to whole chunks (kChunkBytes)
  int64_t reach;   // the largest tap offset
  int64_t PL;      // one phase plane, with the reads past its end
  int64_t GL;      // one wide gradient plane, with zeros before and after
  int64_t phases() const { return C * sh * sw; }
  int64_t offset(int64_t a, int64_t e) const { return (a / sh) * Wq + e / sw; }
  int64_t plane(int64_t c, int64_t u, int64_t v) const { return ((c * sh + u) * sw + v) * PL; }
  // The columns q < Wq of phase v that hold x's columns: w = q·sw + v − pw in [0, W), as [lo, hi).
  void columns(int64_t v, int64_t& lo, int64_t& hi) const {
    const int64_t first = pw - v, last = W - 1 + pw - v;
    lo = first > 0 ? (first + sw - 1) / sw : 0;
    hi = last >= 0 ? std::min(Wq, last / sw + 1) : 0;
  }
};

// outs[j][f] += Σ_t wts[t·OB + j] · srcs[t][f] for j < OB, f < L (a multiple of the vector
// length): the OB accumulators stay in registers across all the taps.
template <typename S, int OB>
GANTRY_INLINE void accumulate(S* const* outs, const S* const* srcs, const S* wts, int64_t T, int64_t L) {
  constexpr int V = kChunkBytes / sizeof(S);
  for (int64_t f0 = 0; f0 < L; f0 += V) {
    S acc[OB][V];
    for (int j = 0; j < OB; j++)
#pragma omp simd
      for (int k = 0; k < V; k++) acc[j][k] = outs[j][f0 + k];
    for (int64_t t = 0; t < T; t++) {
      const S* s = srcs[t] + f0;
      for (int j = 0; j < OB; j++) {
        const S wv = wts[t * OB + j];
#pragma omp simd
        for (int k = 0; k < V; k++) acc[j][k] += wv * s[k];
      }
    }
    for (int j = 0; j < OB; j++)
#pragma omp simd
      for (int k = 0; k < V; k++) outs[j][f0 + k] = acc[j][k];
  }
}

// accumulate() over any number of outputs, four at a time. weight(j, t) gives output j's weight of tap t.
template <typename S, typename Weight>
GANTRY_INLINE void accumulateAll(S* const* outs, int64_t nOut, const S* const* srcs, int64_t T, int64_t L, Weight weight,
                                 std::vector<S>& wts) {
  wts.resize(4 * T);
  for (int64_t j0 = 0; j0 < nOut; j0 += 4) {
    const int64_t nb = std::min<int64_t>(4, nOut - j0);
    for (int64_t t = 0; t < T; t++)
      for (int64_t j = 0; j < nb; j++) wts[t * nb + j] = weight(j0 + j, t);
    switch (nb) {
      case 4: accumulate<S, 4>(outs + j0, srcs, wts.data(), T, L); break;
      case 3: accumulate<S, 3>(outs + j0, srcs, wts.data(), T, L); break;
      case 2: accumulate<S, 2>(outs + j0, srcs, wts.data(), T, L); break;
      default: accumulate<S, 1>(outs + j0, srcs, wts.data(), T, L); break;
    }
  }
}

// The polyphase planes of samples [n0, n0 + nb) into P (phases() · PL() values).
template <typename S>
GANTRY_INLINE void polyphase(const S* __restrict x, int64_t n0, int64_t nb, S* __restrict P, const Geometry& g) {
  std::memset(P, 0, sizeof(S) * g.phases() * g.PL);
  int64_t lo[kMaxStride], hi[kMaxStride];
  for (int64_t v = 0; v < g.sw; v++) g.columns(v, lo[v], hi[v]);
  for (int64_t b = 0; b < nb; b++)
    for (int64_t c = 0; c < g.C; c++) {
      const S* xc = x + ((n0 + b) * g.C + c) * g.H * g.W;
      // (m, u) steps through h + ph = m·sh + u without a division.
      for (int64_t h = 0, m = g.ph / g.sh, u = g.ph % g.sh; h < g.H && m < g.R; h++, u = u + 1 == g.sh ? (m++, 0) : u + 1) {
        const S* xr = xc + h * g.W;
        for (int64_t v = 0; v < g.sw; v++) {
          S* row = P + g.plane(c, u, v) + (b * g.R + m) * g.Wq;
          const S* src = xr + v - g.pw;
          if (g.sw == 1) {
            for (int64_t q = lo[v]; q < hi[v]; q++) row[q] = src[q];
          } else if (g.sw == 2) {
            for (int64_t q = lo[v]; q < hi[v]; q++) row[q] = src[2 * q];
          } else {
            for (int64_t q = lo[v]; q < hi[v]; q++) row[q] = src[q * g.sw];
          }
        }
      }
    }
}

// gy of samples [n0, n0 + nb) in the wide layout, plane o at G + o·GL() + reach(), zero around
// and wherever a wide output is dropped.
template <typename S>
GANTRY_INLINE void widen(const S* __restrict gy, int64_t n0, int64_t nb, S* __restrict G, const Geometry& g) {
  std::memset(G, 0, sizeof(S) * g.O * g.GL);
  for (int64_t o = 0; o < g.O; o++)
    for (int64_t b = 0; b < nb; b++)
      for (int64_t i = 0; i < g.OH; i++) {
        const S* src = gy + (((n0 + b) * g.O + o) * g.OH + i) * g.OW;
        S* dst = G + o * g.GL + g.reach + (b * g.R + i) * g.Wq;
        for (int64_t j = 0; j < g.OW; j++) dst[j] = src[j];
      }
}

template <typename S>
GANTRY_INLINE void forwardBlock(const S* __restrict x, const S* __restrict w, const S* __restrict bias, S* __restrict y,
                                int64_t n0, int64_t nb, S* __restrict P, S* __restrict Y, const Geometry& g) {
  polyphase(x, n0, nb, P, g);
  const int64_t L = g.L, T = g.C * g.KH * g.KW;
  std::vector<const S*> srcs(T);
  std::vector<S*> outs(g.O);
  std::vector<S> wts;
  for (int64_t c = 0, t = 0; c < g.C; c++)
    for (int64_t a = 0; a < g.KH; a++)
      for (int64_t e = 0; e < g.KW; e++) srcs[t++] = P + g.plane(c, a % g.sh, e % g.sw) + g.offset(a, e);
  for (int64_t o = 0; o < g.O; o++) {
    outs[o] = Y + o * L;
    const S v = bias ? bias[o] : S(0);
    for (int64_t f = 0; f < L; f++) outs[o][f] = v;
  }
  accumulateAll(outs.data(), g.O, srcs.data(), T, L, [&](int64_t o, int64_t t) { return w[o * T + t]; }, wts);
  for (int64_t o = 0; o < g.O; o++)
    for (int64_t b = 0; b < nb; b++)
      for (int64_t i = 0; i < g.OH; i++) {
        const S* src = outs[o] + (b * g.R + i) * g.Wq;
        S* dst = y + (((n0 + b) * g.O + o) * g.OH + i) * g.OW;
        for (int64_t j = 0; j < g.OW; j++) dst[j] = src[j];
      }
}

// The adjoint as a gather: phase plane (c, u, v) of the gradient of P collects, from every tap
// (o, a, e) of that phase, w[o,c,a,e] times the wide gradient of y shifted back by the tap's offset.
template <typename S>
GANTRY_INLINE void gradInputBlock(const S* __restrict gy, const S* __restrict w, S* __restrict gx, int64_t n0, int64_t nb,
                                  S* __restrict P, S* __restrict G, const Geometry& g) {
  widen(gy, n0, nb, G, g);
  std::memset(P, 0, sizeof(S) * g.phases() * g.PL);
  const int64_t PL = g.PL, T = g.C * g.KH * g.KW;
  std::vector<const S*> srcs;
  std::vector<int64_t> taps;  // (o, a, e) as o·KH·KW + a·KW + e
  std::vector<S*> outs(g.C);
  std::vector<S> wts;
  for (int64_t u = 0; u < g.sh; u++)
    for (int64_t v = 0; v < g.sw; v++) {
      srcs.clear();
      taps.clear();
      for (int64_t o = 0; o < g.O; o++)
        for (int64_t a = u; a < g.KH; a += g.sh)
          for (int64_t e = v; e < g.KW; e += g.sw) {
            srcs.push_back(static_cast<const S*>(G) + o * g.GL + g.reach - g.offset(a, e));
            taps.push_back((o * g.KH + a) * g.KW + e);
          }
      if (taps.empty()) continue;
      for (int64_t c = 0; c < g.C; c++) outs[c] = P + g.plane(c, u, v);
      const int64_t KK = g.KH * g.KW;
      accumulateAll(outs.data(), g.C, srcs.data(), int64_t(taps.size()), PL, [&](int64_t c, int64_t t) {
        const int64_t o = taps[t] / KK, ae = taps[t] % KK;
        return w[o * T + c * KK + ae];
      }, wts);
    }
  // Back from the polyphase planes; x's rows and columns no output reads get zero.
  int64_t lo[kMaxStride], hi[kMaxStride];
  for (int64_t v = 0; v < g.sw; v++) g.columns(v, lo[v], hi[v]);
  for (int64_t b = 0; b < nb; b++)
    for (int64_t c = 0; c < g.C; c++) {
      S* xc = gx + ((n0 + b) * g.C + c) * g.H * g.W;
      for (int64_t h = 0, m = g.ph / g.sh, u = g.ph % g.sh; h < g.H; h++, u = u + 1 == g.sh ? (m++, 0) : u + 1) {
        S* xr = xc + h * g.W;
        for (int64_t w = 0; w < g.W; w++) xr[w] = 0;
        if (m >= g.R) continue;
        for (int64_t v = 0; v < g.sw; v++) {
          const S* row = P + g.plane(c, u, v) + (b * g.R + m) * g.Wq;
          S* dst = xr + v - g.pw;
          if (g.sw == 1) {
            for (int64_t q = lo[v]; q < hi[v]; q++) dst[q] = row[q];
          } else if (g.sw == 2) {
            for (int64_t q = lo[v]; q < hi[v]; q++) dst[2 * q] = row[q];
          } else {
            for (int64_t q = lo[v]; q < hi[v]; q++) dst[q * g.sw] = row[q];
          }
        }
      }
    }
}

// The block's share of the weight gradient, into gw [O, C, KH, KW] (overwritten): for each output
// plane, four taps' dot products at a time, in vector lanes summed at the end in a fixed order.
template <typename S>
GANTRY_INLINE void gradWeightBlock(const S* __restrict x, const S* __restrict gy, S* __restrict gw, int64_t n0, int64_t nb,
                                   S* __restrict P, S* __restrict G, const Geometry& g) {
  constexpr int V = 64 / sizeof(S);
  polyphase(x, n0, nb, P, g);
  widen(gy, n0, nb, G, g);
  const int64_t L = g.L, T = g.C * g.KH * g.KW;
  std::vector<const S*> srcs(T + 3);
  for (int64_t c = 0, t = 0; c < g.C; c++)
    for (int64_t a = 0; a < g.KH; a++)
      for (int64_t e = 0; e < g.KW; e++) srcs[t++] = P + g.plane(c, a % g.sh, e % g.sw) + g.offset(a, e);
  for (int64_t t = T; t < T + 3; t++) srcs[t] = srcs[0];  // padding of the last group of four; discarded
  for (int64_t o = 0; o < g.O; o++) {
    const S* go = G + o * g.GL + g.reach;
    for (int64_t t0 = 0; t0 < T; t0 += 4) {
      S acc[4][V] = {};
      const S *s0 = srcs[t0], *s1 = srcs[t0 + 1], *s2 = srcs[t0 + 2], *s3 = srcs[t0 + 3];
      for (int64_t f0 = 0; f0 < L; f0 += V) {
#pragma omp simd
        for (int k = 0; k < V; k++) {
          const S gv = go[f0 + k];
          acc[0][k] += gv * s0[f0 + k];
          acc[1][k] += gv * s1[f0 + k];
          acc[2][k] += gv * s2[f0 + k];
          acc[3][k] += gv * s3[f0 + k];
        }
      }
      for (int64_t j = 0; j < 4 && t0 + j < T; j++) {
        S s = 0;
        for (int k = 0; k < V; k++) s += acc[j][k];
        gw[o * T + t0 + j] = s;
      }
    }
  }
}

// Each block function built once per instruction set (GANTRY_CLONES), for float and double.
#define GANTRY_BLOCKS(S)                                                                                                       \
  GANTRY_CLONES static void forwardBlocks(const S* x, const S* w, const S* bias, S* y, int64_t n0, int64_t nb, S* P, S* Y,   \
                                          const Geometry& g) {                                                                 \
    forwardBlock(x, w, bias, y, n0, nb, P, Y, g);                                                                              \
  }                                                                                                                            \
  GANTRY_CLONES static void gradInputBlocks(const S* gy, const S* w, S* gx, int64_t n0, int64_t nb, S* P, S* G,              \
                                            const Geometry& g) {                                                               \
    gradInputBlock(gy, w, gx, n0, nb, P, G, g);                                                                                \
  }                                                                                                                            \
  GANTRY_CLONES static void gradWeightBlocks(const S* x, const S* gy, S* gw, int64_t n0, int64_t nb, S* P, S* G,             \
                                             const Geometry& g) {                                                              \
    gradWeightBlock(x, gy, gw, n0, nb, P, G, g);                                                                               \
  }
GANTRY_BLOCKS(float)
GANTRY_BLOCKS(double)
#undef GANTRY_BLOCKS

// Samples per block: about 4,096 flat outputs (one plane of y and the planes of x stay in the
// first cache levels), and at least 8 blocks when the batch allows. Fixed by the shapes alone, so
// the weight gradient's sums run in the same order for any number of threads.
static Geometry geometry(int64_t N, int64_t C, int64_t H, int64_t W, int64_t O, int64_t KH, int64_t KW, const std::vector<int64_t>& sp,
                         int64_t valueBytes) {
  Geometry g{C, H, W, O, KH, KW, 0, 0, sp[0], sp[1], sp[2], sp[3]};
  g.OH = (H + 2 * g.ph - KH) / g.sh + 1;
  g.OW = (W + 2 * g.pw - KW) / g.sw + 1;
  g.R = g.OH + (KH - 1) / g.sh;
  g.Wq = g.OW + (KW - 1) / g.sw;
  g.B = std::max<int64_t>(1, std::min<int64_t>(4096 / (g.R * g.Wq), (N + 7) / 8));
  const int64_t V = kChunkBytes / valueBytes;
  auto up = [V](int64_t n) { return (n + V - 1) / V * V; };
  g.L = up(g.B * g.R * g.Wq);
  g.reach = ((KH - 1) / g.sh) * g.Wq + (KW - 1) / g.sw;
  g.PL = up(g.L + g.reach);
  g.GL = g.reach + g.PL;
  return g;
}

// Runs fn(block, n0, nb, P, G) over the batch's blocks in parallel, with per-task scratch planes.
template <typename S, typename Fn>
static void overBlocks(int64_t N, const Geometry& g, Fn fn) {
  const int64_t blocks = (N + g.B - 1) / g.B;
  at::parallel_for(0, blocks, 1, [&](int64_t k0, int64_t k1) {
    // Scratch from libtorch's allocator, which gantry caches (native/allocator.cc): no fresh pages per call.
    Tensor scratch = torch::empty({g.phases() * g.PL + g.O * g.GL}, torch::CppTypeToScalarType<S>::value);
    S* P = scratch.data_ptr<S>();
    for (int64_t k = k0; k < k1; k++) fn(k, k * g.B, std::min(g.B, N - k * g.B), P, P + g.phases() * g.PL);
  });
}

static Tensor directForward(const Tensor& x_, const Tensor& w_, const Tensor& b_, const std::vector<int64_t>& sp) {
  Tensor x = x_.contiguous(), w = w_.contiguous(), b = hasBias(b_) ? b_.contiguous() : Tensor();
  const int64_t N = x.size(0);
  Geometry g = geometry(N, x.size(1), x.size(2), x.size(3), w.size(0), w.size(2), w.size(3), sp, x.element_size());
  Tensor y = torch::empty({N, g.O, g.OH, g.OW}, x.options());
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "gantry direct conv2d", [&] {
    const scalar_t *X = x.data_ptr<scalar_t>(), *Wp = w.data_ptr<scalar_t>(), *Bp = b.defined() ? b.data_ptr<scalar_t>() : nullptr;
    scalar_t* Y = y.data_ptr<scalar_t>();
    overBlocks<scalar_t>(N, g, [&](int64_t, int64_t n0, int64_t nb, scalar_t* P, scalar_t* G) {
      forwardBlocks(X, Wp, Bp, Y, n0, nb, P, G, g);
    });
  });
  return y;
}

static Tensor directGradInput(const Tensor& gy_, const Tensor& w_, const std::vector<int64_t>& sp, int64_t H, int64_t W) {
  Tensor gy = gy_.contiguous(), w = w_.contiguous();
  const int64_t N = gy.size(0);
  Geometry g = geometry(N, w.size(1), H, W, w.size(0), w.size(2), w.size(3), sp, gy.element_size());
  TORCH_CHECK(gy.size(1) == g.O && gy.size(2) == g.OH && gy.size(3) == g.OW, "conv2d backward: gradient of shape ", gy.sizes(),
              " does not fit the convolution's output");
  Tensor gx = torch::empty({N, g.C, H, W}, gy.options());
  AT_DISPATCH_FLOATING_TYPES(gy.scalar_type(), "gantry direct conv2d backward (input)", [&] {
    const scalar_t *Gy = gy.data_ptr<scalar_t>(), *Wp = w.data_ptr<scalar_t>();
    scalar_t* GX = gx.data_ptr<scalar_t>();
    overBlocks<scalar_t>(N, g, [&](int64_t, int64_t n0, int64_t nb, scalar_t* P, scalar_t* G) {
      gradInputBlocks(Gy, Wp, GX, n0, nb, P, G, g);
    });
  });
  return gx;
}

static Tensor directGradWeight(const Tensor& x_, const Tensor& gy_, const std::vector<int64_t>& sp, int64_t KH, int64_t KW) {
  Tensor x = x_.contiguous(), gy = gy_.contiguous();
  const int64_t N = x.size(0);
  Geometry g = geometry(N, x.size(1), x.size(2), x.size(3), gy.size(1), KH, KW, sp, x.element_size());
  const int64_t blocks = (N + g.B - 1) / g.B, size = g.O * g.C * KH * KW;
  // Each block's share apart, then added in block order: the same bits for any number of threads.
  Tensor partial = torch::empty({blocks, size}, x.options());
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "gantry direct conv2d backward (weight)", [&] {
    const scalar_t *X = x.data_ptr<scalar_t>(), *Gy = gy.data_ptr<scalar_t>();
    scalar_t* Pt = partial.data_ptr<scalar_t>();
    overBlocks<scalar_t>(N, g, [&](int64_t k, int64_t n0, int64_t nb, scalar_t* P, scalar_t* G) {
      gradWeightBlocks(X, Gy, Pt + k * size, n0, nb, P, G, g);
    });
    for (int64_t k = 1; k < blocks; k++)
      for (int64_t i = 0; i < size; i++) Pt[i] += Pt[k * size + i];
  });
  return partial[0].view({g.O, g.C, KH, KW}).clone();
}

// The three are one trilinear form T(x, w, gy) = <gy, conv(x, w)>, so each one's gradients are the
// other two: gradients of gradients to any order.
class DirectConvGradInput;
class DirectConvGradWeight;

class DirectConv : public torch::autograd::Function<DirectConv> {
 public:
  static Tensor forward(AutogradContext* ctx, const Tensor& x, const Tensor& w, const Tensor& b, std::vector<int64_t> sp) {
    RECORD_FUNCTION("gantry::direct_conv2d", std::vector<c10::IValue>());
    ctx->save_for_backward({x, w});
    ctx->saved_data["sp"] = sp;
    return directForward(x, w, b, sp);
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads);
};

class DirectConvGradInput : public torch::autograd::Function<DirectConvGradInput> {
 public:
  static Tensor forward(AutogradContext* ctx, const Tensor& gy, const Tensor& w, std::vector<int64_t> sp, int64_t H, int64_t W) {
    RECORD_FUNCTION("gantry::direct_conv2d_grad_input", std::vector<c10::IValue>());
    ctx->save_for_backward({gy, w});
    ctx->saved_data["sp"] = sp;
    return directGradInput(gy, w, sp, H, W);
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads);
};

class DirectConvGradWeight : public torch::autograd::Function<DirectConvGradWeight> {
 public:
  static Tensor forward(AutogradContext* ctx, const Tensor& x, const Tensor& gy, std::vector<int64_t> sp, int64_t KH, int64_t KW) {
    RECORD_FUNCTION("gantry::direct_conv2d_grad_weight", std::vector<c10::IValue>());
    ctx->save_for_backward({x, gy});
    ctx->saved_data["sp"] = sp;
    return directGradWeight(x, gy, sp, KH, KW);
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto saved = ctx->get_saved_variables();
    auto sp = ctx->saved_data["sp"].toIntVector();
    const Tensor& x = saved[0];
    const Tensor& gy = saved[1];
    const Tensor& ggw = grads[0];
    Tensor dx, dgy;
    if (!ggw.defined()) return {dx, dgy, Tensor(), Tensor(), Tensor()};
    if (ctx->needs_input_grad(0)) dx = DirectConvGradInput::apply(gy, ggw, sp, x.size(2), x.size(3));
    if (ctx->needs_input_grad(1)) dgy = DirectConv::apply(x, ggw, noBias(x), sp);
    return {dx, dgy, Tensor(), Tensor(), Tensor()};
  }
};

variable_list DirectConvGradInput::backward(AutogradContext* ctx, variable_list grads) {
  auto saved = ctx->get_saved_variables();
  auto sp = ctx->saved_data["sp"].toIntVector();
  const Tensor& gy = saved[0];
  const Tensor& w = saved[1];
  const Tensor& ggx = grads[0];
  Tensor dgy, dw;
  if (!ggx.defined()) return {dgy, dw, Tensor(), Tensor(), Tensor()};
  if (ctx->needs_input_grad(0)) dgy = DirectConv::apply(ggx, w, noBias(ggx), sp);
  if (ctx->needs_input_grad(1)) dw = DirectConvGradWeight::apply(ggx, gy, sp, w.size(2), w.size(3));
  return {dgy, dw, Tensor(), Tensor(), Tensor()};
}

variable_list DirectConv::backward(AutogradContext* ctx, variable_list grads) {
  auto saved = ctx->get_saved_variables();
  auto sp = ctx->saved_data["sp"].toIntVector();
  const Tensor& x = saved[0];
  const Tensor& w = saved[1];
  const Tensor& gy = grads[0];
  Tensor dx, dw, db;
  if (!gy.defined()) return {dx, dw, db, Tensor()};
  if (ctx->needs_input_grad(0)) dx = DirectConvGradInput::apply(gy, w, sp, x.size(2), x.size(3));
  if (ctx->needs_input_grad(1)) dw = DirectConvGradWeight::apply(x, gy, sp, w.size(2), w.size(3));
  if (ctx->needs_input_grad(2)) db = gy.sum({0, 2, 3});
  return {dx, dw, db, Tensor()};
}

// Where the direct kernel applies; anything else (and every shape error) is libtorch's.
static bool directConvFits(const Tensor& x, const Tensor& w, const Tensor& b, const std::vector<int64_t>& dilation, int64_t groups) {
  if (!nativeKernels() || groups != 1 || dilation.size() != 2 || dilation[0] != 1 || dilation[1] != 1) return false;
  if (x.dim() != 4 || w.dim() != 4 || !x.device().is_cpu() || !w.device().is_cpu() || x.layout() != torch::kStrided) return false;
  auto dt = x.scalar_type();
  if ((dt != torch::kFloat && dt != torch::kDouble) || w.scalar_type() != dt || w.layout() != torch::kStrided) return false;
  if (b.defined() && (b.scalar_type() != dt || !b.device().is_cpu() || b.dim() != 1 || b.size(0) != w.size(0))) return false;
  const int64_t C = x.size(1), O = w.size(0);
  return w.size(1) == C && C * O <= 32 && x.size(0) > 0 && C > 0 && O > 0;
}

Tensor conv2d(const Tensor& x, const Tensor& w, const Tensor& b, std::vector<int64_t> stride, std::vector<int64_t> padding,
              std::vector<int64_t> dilation, int64_t groups) {
  if (stride.size() == 2 && padding.size() == 2 && stride[0] > 0 && stride[1] > 0 && stride[0] <= kMaxStride && stride[1] <= kMaxStride &&
      padding[0] >= 0 && padding[1] >= 0 &&
      directConvFits(x, w, b, dilation, groups)) {
    const int64_t OH = (x.size(2) + 2 * padding[0] - w.size(2)) / stride[0] + 1;
    const int64_t OW = (x.size(3) + 2 * padding[1] - w.size(3)) / stride[1] + 1;
    if (x.size(2) + 2 * padding[0] >= w.size(2) && x.size(3) + 2 * padding[1] >= w.size(3) && OH > 0 && OW > 0)
      return DirectConv::apply(x, w, b.defined() ? b : noBias(x), std::vector<int64_t>{stride[0], stride[1], padding[0], padding[1]});
  }
  return torch::conv2d(x, w, b, stride, padding, dilation, groups);
}

// ---------------------------------------------------------------------------------------------
// Zero padding and the move to channels-last in one pass, and its adjoint (crop and back to NCHW):
// the phase convolution of the sub-pixel route then runs unpadded on exactly the rows and columns
// its phases read (conv2d's padding is symmetric: W4's three phase convolutions computed 25, 64 and
// 225 positions a phase where 16, 49 and 196 are kept). The gradient goes back in NCHW: meeting the
// NCHW tensors upstream (ReLU's backward, BatchNorm's) in channels-last sends them to
// TensorIterator's slow mixed-layout path (measured: 2.7 ms of a W4 step in four ReLU backwards).

struct Pad {
  int64_t N, C, H, W, l, r, t, b;  // x [N, C, H, W] → y [N, C, H + t + b, W + l + r], channels-last
  int64_t Hp() const { return H + t + b; }
  int64_t Wp() const { return W + l + r; }
};

// Row oh of sample n of y: C·W values read from C rows of x, written as one span of y.
template <typename S>
GANTRY_CLONES void padRow(const S* __restrict x, S* __restrict y, const Pad& p, int64_t n, int64_t oh) {
  S* yr = y + (n * p.Hp() + oh) * p.Wp() * p.C;
  const int64_t ih = oh - p.t;
  if (ih < 0 || ih >= p.H) {
    std::fill(yr, yr + p.Wp() * p.C, S(0));
    return;
  }
  std::fill(yr, yr + p.l * p.C, S(0));
  std::fill(yr + (p.l + p.W) * p.C, yr + p.Wp() * p.C, S(0));
  const S* xr = x + (n * p.C * p.H + ih) * p.W;
  S* yi = yr + p.l * p.C;
  const int64_t HW = p.H * p.W;
  for (int64_t w = 0; w < p.W; w++)
    for (int64_t c = 0; c < p.C; c++) yi[w * p.C + c] = xr[c * HW + w];
}

// Row ih of sample n of the gradient of x, from y's channels-last gradient.
template <typename S>
GANTRY_CLONES void cropRow(const S* __restrict gy, S* __restrict gx, const Pad& p, int64_t n, int64_t ih) {
  const S* gr = gy + ((n * p.Hp() + ih + p.t) * p.Wp() + p.l) * p.C;
  S* xr = gx + (n * p.C * p.H + ih) * p.W;
  for (int64_t c = 0; c < p.C; c++) {
    S* xc = xr + c * p.H * p.W;
    for (int64_t w = 0; w < p.W; w++) xc[w] = gr[w * p.C + c];
  }
}

static std::vector<int64_t> pack(const Pad& p) { return {p.N, p.C, p.H, p.W, p.l, p.r, p.t, p.b}; }
static Pad unpackPad(const std::vector<int64_t>& v) { return {v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]}; }

static bool relayoutFits(const Tensor& t) {
  const auto dt = t.scalar_type();
  return nativeKernels() && t.device().is_cpu() && t.layout() == torch::kStrided && t.dim() == 4 && (dt == torch::kFloat || dt == torch::kDouble);
}

class PadChannelsLast : public torch::autograd::Function<PadChannelsLast> {
 public:
  static Tensor forward(AutogradContext* ctx, const Tensor& x_, std::vector<int64_t> geometry) {
    RECORD_FUNCTION("gantry::pad_channels_last", std::vector<c10::IValue>());
    ctx->saved_data["p"] = geometry;
    const Pad p = unpackPad(geometry);
    const Tensor x = x_.contiguous();
    Tensor y = torch::empty({p.N, p.C, p.Hp(), p.Wp()}, x.options().memory_format(at::MemoryFormat::ChannelsLast));
    AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "gantry pad_channels_last", [&] {
      const scalar_t* X = x.data_ptr<scalar_t>();
      scalar_t* Y = y.data_ptr<scalar_t>();
      at::parallel_for(0, p.N * p.Hp(), 1, [&](int64_t i0, int64_t i1) {
        for (int64_t i = i0; i < i1; i++) padRow(X, Y, p, i / p.Hp(), i % p.Hp());
      });
    });
    return y;
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    RECORD_FUNCTION("gantry::pad_channels_last_backward", std::vector<c10::IValue>());
    const Tensor& g = grads[0];
    if (!g.defined()) return {Tensor(), Tensor()};
    const Pad p = unpackPad(ctx->saved_data["p"].toIntVector());
    // Under create_graph, libtorch's crop, which can be differentiated again.
    if ((torch::GradMode::is_enabled() && g.requires_grad()) || !relayoutFits(g) || !g.is_contiguous(at::MemoryFormat::ChannelsLast))
      return {g.narrow(2, p.t, p.H).narrow(3, p.l, p.W).contiguous(), Tensor()};
    Tensor gx = torch::empty({p.N, p.C, p.H, p.W}, g.options());
    AT_DISPATCH_FLOATING_TYPES(g.scalar_type(), "gantry pad_channels_last backward", [&] {
      const scalar_t* G = g.data_ptr<scalar_t>();
      scalar_t* X = gx.data_ptr<scalar_t>();
      at::parallel_for(0, p.N * p.H, 1, [&](int64_t i0, int64_t i1) {
        for (int64_t i = i0; i < i1; i++) cropRow(G, X, p, i / p.H, i % p.H);
      });
    });
    return {gx, Tensor()};
  }
};

Tensor conv2dPaddedChannelsLast(const Tensor& x, const Tensor& w, const Tensor& b, std::vector<int64_t> pads) {
  TORCH_CHECK(x.dim() == 4 && w.dim() == 4, "conv2d_padded_channels_last: expected 4-d input and weight, got ", x.sizes(), " and ", w.sizes());
  TORCH_CHECK(pads.size() == 4 && *std::min_element(pads.begin(), pads.end()) >= 0,
              "conv2d_padded_channels_last: expected 4 padding sizes ≥ 0 [left, right, top, bottom], got ", c10::IntArrayRef(pads));
  const std::vector<int64_t> one{1, 1}, zero{0, 0};
  if (!relayoutFits(x) || directConvFits(x, w, b, one, 1))
    return conv2d(torch::constant_pad_nd(x, pads, 0), w, b, one, zero, one, 1);
  const Tensor xp = PadChannelsLast::apply(x, pack(Pad{x.size(0), x.size(1), x.size(2), x.size(3), pads[0], pads[1], pads[2], pads[3]}));
  return torch::conv2d(xp, w.contiguous(at::MemoryFormat::ChannelsLast), b, one, zero, one, 1);
}

// ---------------------------------------------------------------------------------------------
// Crop, pixel shuffle, crop, bias (kernels.h) and its adjoint.

struct Shuffle {
  int64_t N, C, r, H, W, h0, w0, outH, outW;  // x [N, C·r², H, W] → y [N, C, outH, outW]
  int64_t channelsLast;                      // x's layout (1: channels-last), which its gradient keeps
};

// One output plane p = n·C + c of y, from x with strides sx (any layout).
template <typename S>
GANTRY_INLINE void shuffleRows(const S* __restrict x, const int64_t* sx, const S* __restrict b, S* __restrict y, const Shuffle& s,
                               int64_t p) {
  const int64_t n = p / s.C, c = p % s.C, rr = s.r * s.r;
  const S* xp = x + n * sx[0] + c * rr * sx[1];
  S* yp = y + p * s.outH * s.outW;
  const S v = b ? b[c] : S(0);
  for (int64_t h = 0; h < s.outH; h++) {
    const int64_t i = h % s.r, hh = s.h0 + h / s.r;
    S* yr = yp + h * s.outW;
    const S* xr = xp + i * s.r * sx[1] + hh * sx[2] + s.w0 * sx[3];
    if (s.r == 2) {
      const S* x1 = xr + sx[1];
      const int64_t half = s.outW / 2;
      if (sx[3] == 1) {
        for (int64_t k = 0; k < half; k++) {
          yr[2 * k] = xr[k] + v;
          yr[2 * k + 1] = x1[k] + v;
        }
      } else {
        for (int64_t k = 0; k < half; k++) {
          yr[2 * k] = xr[k * sx[3]] + v;
          yr[2 * k + 1] = x1[k * sx[3]] + v;
        }
      }
      if (s.outW % 2) yr[s.outW - 1] = xr[half * sx[3]] + v;
    } else {
      for (int64_t w = 0; w < s.outW; w++) yr[w] = xr[(w % s.r) * sx[1] + (w / s.r) * sx[3]] + v;
    }
  }
}

// The gradient of x for plane q = (n·C + c)·r² + i·r + j (NCHW), zero where the crop left x unused.
template <typename S>
GANTRY_INLINE void unshufflePlane(const S* __restrict gy, S* __restrict gx, const Shuffle& s, int64_t q) {
  const int64_t rr = s.r * s.r, p = q / rr, i = (q % rr) / s.r, j = q % s.r;
  const S* gp = gy + p * s.outH * s.outW;
  S* xp = gx + q * s.H * s.W;
  // Columns ww of x that land inside the output: w = (ww − w0)·r + j in [0, outW).
  const int64_t lo = std::max<int64_t>(0, s.w0), hi = std::min<int64_t>(s.W, s.w0 + (s.outW - 1 - j) / s.r + 1);
  for (int64_t hh = 0; hh < s.H; hh++) {
    S* xr = xp + hh * s.W;
    const int64_t h = (hh - s.h0) * s.r + i;
    if (h < 0 || h >= s.outH || j >= s.outW) {
      for (int64_t ww = 0; ww < s.W; ww++) xr[ww] = 0;
      continue;
    }
    const S* gr = gp + h * s.outW + j - s.w0 * s.r;
    for (int64_t ww = 0; ww < lo; ww++) xr[ww] = 0;
    for (int64_t ww = lo; ww < hi; ww++) xr[ww] = gr[ww * s.r];
    for (int64_t ww = std::max(lo, hi); ww < s.W; ww++) xr[ww] = 0;
  }
}

// The same in channels-last: row t = n·H + hh of x's gradient, all its columns and channels.
template <typename S>
GANTRY_INLINE void unshuffleRowLast(const S* __restrict gy, S* __restrict gx, const Shuffle& s, int64_t t) {
  const int64_t n = t / s.H, hh = t % s.H, rr = s.r * s.r, K = s.C * rr, plane = s.outH * s.outW;
  S* xr = gx + t * s.W * K;
  const S* gn = gy + n * s.C * plane;
  for (int64_t ww = 0; ww < s.W; ww++) {
    S* out = xr + ww * K;
    for (int64_t i = 0; i < s.r; i++) {
      const int64_t h = (hh - s.h0) * s.r + i;
      for (int64_t j = 0; j < s.r; j++) {
        const int64_t w = (ww - s.w0) * s.r + j;
        S* o = out + i * s.r + j;  // channel c·r² + i·r + j
        if (h >= 0 && h < s.outH && w >= 0 && w < s.outW) {
          const S* g = gn + h * s.outW + w;
          for (int64_t c = 0; c < s.C; c++) o[c * rr] = g[c * plane];
        } else {
          for (int64_t c = 0; c < s.C; c++) o[c * rr] = 0;
        }
      }
    }
  }
}

#define GANTRY_SHUFFLE(S)                                                                                                        \
  GANTRY_CLONES static void shufflePlanes(int64_t p0, int64_t p1, const S* x, const int64_t* sx, const S* b, S* y,               \
                                          const Shuffle& s) {                                                                   \
    for (int64_t p = p0; p < p1; p++) shuffleRows(x, sx, b, y, s, p);                                                           \
  }                                                                                                                              \
  GANTRY_CLONES static void unshufflePlanes(int64_t q0, int64_t q1, const S* gy, S* gx, const Shuffle& s) {                      \
    for (int64_t q = q0; q < q1; q++) unshufflePlane(gy, gx, s, q);                                                              \
  }                                                                                                                              \
  GANTRY_CLONES static void unshuffleRowsLast(int64_t t0, int64_t t1, const S* gy, S* gx, const Shuffle& s) {                    \
    for (int64_t t = t0; t < t1; t++) unshuffleRowLast(gy, gx, s, t);                                                            \
  }
GANTRY_SHUFFLE(float)
GANTRY_SHUFFLE(double)
#undef GANTRY_SHUFFLE

static Tensor shuffleKernel(const Tensor& x, const Tensor& b_, const Shuffle& s) {
  Tensor b = hasBias(b_) ? b_.contiguous() : Tensor();
  Tensor y = torch::empty({s.N, s.C, s.outH, s.outW}, x.options().memory_format(at::MemoryFormat::Contiguous));
  const int64_t sx[4] = {x.stride(0), x.stride(1), x.stride(2), x.stride(3)};
  const int64_t planeGrain = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, s.outH * s.outW));
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "gantry crop_shuffle", [&] {
    const scalar_t *X = x.data_ptr<scalar_t>(), *Bp = b.defined() ? b.data_ptr<scalar_t>() : nullptr;
    scalar_t* Y = y.data_ptr<scalar_t>();
    at::parallel_for(0, s.N * s.C, planeGrain, [&](int64_t p0, int64_t p1) { shufflePlanes(p0, p1, X, sx, Bp, Y, s); });
  });
  return y;
}

static Tensor unshuffleKernel(const Tensor& gy_, const Shuffle& s) {
  Tensor gy = gy_.contiguous();
  const auto format = s.channelsLast ? at::MemoryFormat::ChannelsLast : at::MemoryFormat::Contiguous;
  Tensor gx = torch::empty({s.N, s.C * s.r * s.r, s.H, s.W}, gy.options().memory_format(format));
  AT_DISPATCH_FLOATING_TYPES(gy.scalar_type(), "gantry crop_shuffle backward", [&] {
    const scalar_t* G = gy.data_ptr<scalar_t>();
    scalar_t* GX = gx.data_ptr<scalar_t>();
    if (s.channelsLast) {
      const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, s.W * s.C * s.r * s.r));
      at::parallel_for(0, s.N * s.H, grain, [&](int64_t t0, int64_t t1) { unshuffleRowsLast(t0, t1, G, GX, s); });
    } else {
      const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, s.H * s.W));
      at::parallel_for(0, s.N * s.C * s.r * s.r, grain, [&](int64_t q0, int64_t q1) { unshufflePlanes(q0, q1, G, GX, s); });
    }
  });
  return gx;
}

static std::vector<int64_t> pack(const Shuffle& s) { return {s.N, s.C, s.r, s.H, s.W, s.h0, s.w0, s.outH, s.outW, s.channelsLast}; }
static Shuffle unpack(const std::vector<int64_t>& v) { return {v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9]}; }

class Unshuffle;
class CropShuffle : public torch::autograd::Function<CropShuffle> {
 public:
  static Tensor forward(AutogradContext* ctx, const Tensor& x, const Tensor& b, std::vector<int64_t> geometry) {
    RECORD_FUNCTION("gantry::crop_shuffle", std::vector<c10::IValue>());
    ctx->saved_data["s"] = geometry;
    return shuffleKernel(x, b, unpack(geometry));
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads);
};
class Unshuffle : public torch::autograd::Function<Unshuffle> {
 public:
  static Tensor forward(AutogradContext* ctx, const Tensor& gy, std::vector<int64_t> geometry) {
    RECORD_FUNCTION("gantry::crop_shuffle_backward", std::vector<c10::IValue>());
    ctx->saved_data["s"] = geometry;
    return unshuffleKernel(gy, unpack(geometry));
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    if (!grads[0].defined()) return {Tensor(), Tensor()};
    return {CropShuffle::apply(grads[0], noBias(grads[0]), ctx->saved_data["s"].toIntVector()), Tensor()};
  }
};
variable_list CropShuffle::backward(AutogradContext* ctx, variable_list grads) {
  Tensor dx, db;
  if (!grads[0].defined()) return {dx, db, Tensor()};
  if (ctx->needs_input_grad(0)) dx = Unshuffle::apply(grads[0], ctx->saved_data["s"].toIntVector());
  if (ctx->needs_input_grad(1)) db = grads[0].sum({0, 2, 3});
  return {dx, db, Tensor()};
}

Tensor cropShuffle(const Tensor& x, int64_t r, int64_t h0, int64_t w0, int64_t outH, int64_t outW, const Tensor& b) {
  TORCH_CHECK(x.dim() == 4, "crop_shuffle: expected a 4-d tensor [n, c·r², h, w], got ", x.sizes());
  TORCH_CHECK(r > 0 && x.size(1) % (r * r) == 0, "crop_shuffle: ", x.size(1), " channels are not a multiple of r² = ", r * r);
  const int64_t C = x.size(1) / (r * r);
  TORCH_CHECK(h0 >= 0 && w0 >= 0 && outH >= 0 && outW >= 0 && h0 + (outH + r - 1) / r <= x.size(2) && w0 + (outW + r - 1) / r <= x.size(3),
              "crop_shuffle: rows ", h0, "+, columns ", w0, "+ of an output ", outH, "×", outW, " do not fit the input ", x.sizes());
  TORCH_CHECK(!b.defined() || (b.dim() == 1 && b.size(0) == C), "crop_shuffle: bias must have ", C, " values");
  const auto dt = x.scalar_type();
  const bool native = nativeKernels() && x.device().is_cpu() && x.layout() == torch::kStrided && (dt == torch::kFloat || dt == torch::kDouble) &&
                      (!b.defined() || (b.device().is_cpu() && b.scalar_type() == dt));
  if (!native) {
    Tensor y = torch::pixel_shuffle(x.narrow(2, h0, (outH + r - 1) / r).narrow(3, w0, (outW + r - 1) / r), r).narrow(2, 0, outH).narrow(3, 0, outW);
    return b.defined() ? y + b.view({1, -1, 1, 1}) : y;
  }
  const int64_t channelsLast = !x.is_contiguous() && x.is_contiguous(at::MemoryFormat::ChannelsLast);
  return CropShuffle::apply(x, b.defined() ? b : noBias(x), pack({x.size(0), C, r, x.size(2), x.size(3), h0, w0, outH, outW, channelsLast}));
}

// ---------------------------------------------------------------------------------------------
// Batch normalisation in training (kernels.h). x viewed as [N, C, S] (S = H·W, or 1 for 2-D):
// per channel the mean and the biased variance over N·S values (two passes, accumulated in
// double), y = (x − mean)·invstd·γ + β with invstd = 1/√(var + ε), and the running statistics
// moved by the momentum with the unbiased variance, as libtorch. Channels run in parallel, each
// summed in one fixed order: the same bits for any number of threads.

struct Norm {
  int64_t N, C, S;
};

template <typename S>
GANTRY_INLINE void normForwardChannel(const S* __restrict x, const S* __restrict w, const S* __restrict b, S* __restrict y,
                                      S* __restrict mean, S* __restrict invstd, double eps, const Norm& d, int64_t c, double& var) {
  double sum = 0;
  for (int64_t n = 0; n < d.N; n++) {
    const S* xr = x + (n * d.C + c) * d.S;
    S part = 0;
#pragma omp simd reduction(+ : part)
    for (int64_t i = 0; i < d.S; i++) part += xr[i];
    sum += part;
  }
  const double count = double(d.N * d.S), mu = sum / count;
  double sq = 0;
  for (int64_t n = 0; n < d.N; n++) {
    const S* xr = x + (n * d.C + c) * d.S;
    const S m = S(mu);
    S part = 0;
#pragma omp simd reduction(+ : part)
    for (int64_t i = 0; i < d.S; i++) part += (xr[i] - m) * (xr[i] - m);
    sq += part;
  }
  var = sq / count;
  const double is = 1 / std::sqrt(var + eps);
  mean[c] = S(mu);
  invstd[c] = S(is);
  const S scale = S((w ? double(w[c]) : 1.0) * is), shift = S((b ? double(b[c]) : 0.0) - mu * (w ? double(w[c]) : 1.0) * is);
  for (int64_t n = 0; n < d.N; n++) {
    const S* xr = x + (n * d.C + c) * d.S;
    S* yr = y + (n * d.C + c) * d.S;
#pragma omp simd
    for (int64_t i = 0; i < d.S; i++) yr[i] = xr[i] * scale + shift;
  }
}

template <typename S>
GANTRY_INLINE void normBackwardChannel(const S* __restrict gy, const S* __restrict x, const S* __restrict w, const S* __restrict mean,
                                       const S* __restrict invstd, S* __restrict gx, S* __restrict gw, S* __restrict gb, const Norm& d,
                                       int64_t c) {
  const S m = mean[c];
  double sumG = 0, sumGX = 0;
  for (int64_t n = 0; n < d.N; n++) {
    const S* gr = gy + (n * d.C + c) * d.S;
    const S* xr = x + (n * d.C + c) * d.S;
    S pg = 0, pgx = 0;
#pragma omp simd reduction(+ : pg, pgx)
    for (int64_t i = 0; i < d.S; i++) {
      pg += gr[i];
      pgx += gr[i] * (xr[i] - m);
    }
    sumG += pg;
    sumGX += pgx;
  }
  const double is = invstd[c], count = double(d.N * d.S), gamma = w ? double(w[c]) : 1.0;
  if (gw) gw[c] = S(sumGX * is);
  if (gb) gb[c] = S(sumG);
  if (!gx) return;
  // gx = γ·invstd·(gy − mean(gy) − (x − mean)·invstd²·mean(gy·(x − mean)))
  const S k = S(gamma * is), a = S(sumG / count), bcoef = S(is * is * sumGX / count);
  for (int64_t n = 0; n < d.N; n++) {
    const S* gr = gy + (n * d.C + c) * d.S;
    const S* xr = x + (n * d.C + c) * d.S;
    S* out = gx + (n * d.C + c) * d.S;
#pragma omp simd
    for (int64_t i = 0; i < d.S; i++) out[i] = k * (gr[i] - a - (xr[i] - m) * bcoef);
  }
}

#define GANTRY_NORM(S)                                                                                                          \
  GANTRY_CLONES static void normForward(const S* x, const S* w, const S* b, S* y, S* mean, S* invstd, double eps, const Norm& d, \
                                        int64_t c, double& var) {                                                               \
    normForwardChannel(x, w, b, y, mean, invstd, eps, d, c, var);                                                               \
  }                                                                                                                             \
  GANTRY_CLONES static void normBackward(const S* gy, const S* x, const S* w, const S* mean, const S* invstd, S* gx, S* gw,      \
                                         S* gb, const Norm& d, int64_t c) {                                                     \
    normBackwardChannel(gy, x, w, mean, invstd, gx, gw, gb, d, c);                                                              \
  }
GANTRY_NORM(float)
GANTRY_NORM(double)
#undef GANTRY_NORM

static Norm normShape(const Tensor& x) { return {x.size(0), x.size(1), x.dim() > 2 ? x.numel() / (x.size(0) * x.size(1)) : 1}; }

class BatchNormTrain : public torch::autograd::Function<BatchNormTrain> {
 public:
  // running stats: empty tensors when not tracked; updated in place.
  static Tensor forward(AutogradContext* ctx, const Tensor& x_, const Tensor& w_, const Tensor& b_, Tensor runningMean, Tensor runningVar,
                        double momentum, double eps) {
    RECORD_FUNCTION("gantry::batch_norm", std::vector<c10::IValue>());
    Tensor x = x_.contiguous(), w = hasBias(w_) ? w_.contiguous() : Tensor(), b = hasBias(b_) ? b_.contiguous() : Tensor();
    const Norm d = normShape(x);
    Tensor y = torch::empty_like(x), mean = torch::empty({d.C}, x.options()), invstd = torch::empty({d.C}, x.options());
    std::vector<double> var(d.C);
    AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "gantry batch_norm", [&] {
      const scalar_t *X = x.data_ptr<scalar_t>(), *W = w.defined() ? w.data_ptr<scalar_t>() : nullptr, *B = b.defined() ? b.data_ptr<scalar_t>() : nullptr;
      scalar_t *Y = y.data_ptr<scalar_t>(), *M = mean.data_ptr<scalar_t>(), *I = invstd.data_ptr<scalar_t>();
      at::parallel_for(0, d.C, 1, [&](int64_t c0, int64_t c1) {
        for (int64_t c = c0; c < c1; c++) normForward(X, W, B, Y, M, I, eps, d, c, var[c]);
      });
    });
    if (runningMean.numel() > 0 || runningVar.numel() > 0) {
      torch::NoGradGuard noGrad;
      const double n = double(d.N * d.S);
      Tensor v = torch::tensor(var, torch::kDouble).to(x.scalar_type());
      if (runningMean.numel() > 0) runningMean.mul_(1 - momentum).add_(mean, momentum);
      if (runningVar.numel() > 0) runningVar.mul_(1 - momentum).add_(v * (n / std::max(1.0, n - 1)), momentum);
    }
    ctx->save_for_backward({x_, w_, mean, invstd});
    ctx->saved_data["eps"] = eps;
    return y;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto saved = ctx->get_saved_variables();
    const Tensor &x = saved[0], &w = saved[1], &mean = saved[2], &invstd = saved[3];
    const Tensor& gy = grads[0];
    const bool needX = ctx->needs_input_grad(0), needW = ctx->needs_input_grad(1), needB = ctx->needs_input_grad(2);
    if (!gy.defined()) return {Tensor(), Tensor(), Tensor(), Tensor(), Tensor(), Tensor(), Tensor()};
    if (torch::GradMode::is_enabled()) {
      // Gradients of gradients: libtorch's own backward, which autograd differentiates again.
      auto r = torch::native_batch_norm_backward(gy, x, hasBias(w) ? w : Tensor(), Tensor(), Tensor(), mean, invstd, true,
                                                 ctx->saved_data["eps"].toDouble(), {needX, needW && hasBias(w), needB});
      return {std::get<0>(r), std::get<1>(r), std::get<2>(r), Tensor(), Tensor(), Tensor(), Tensor()};
    }
    Tensor xc = x.contiguous(), g = gy.contiguous();
    const Norm d = normShape(xc);
    Tensor gx = needX ? torch::empty_like(xc) : Tensor(), gw = needW ? torch::empty({d.C}, xc.options()) : Tensor(),
           gb = needB ? torch::empty({d.C}, xc.options()) : Tensor();
    AT_DISPATCH_FLOATING_TYPES(xc.scalar_type(), "gantry batch_norm backward", [&] {
      const scalar_t *G = g.data_ptr<scalar_t>(), *X = xc.data_ptr<scalar_t>(), *W = hasBias(w) ? w.data_ptr<scalar_t>() : nullptr;
      const scalar_t *M = mean.data_ptr<scalar_t>(), *I = invstd.data_ptr<scalar_t>();
      scalar_t *GX = needX ? gx.data_ptr<scalar_t>() : nullptr, *GW = needW ? gw.data_ptr<scalar_t>() : nullptr,
               *GB = needB ? gb.data_ptr<scalar_t>() : nullptr;
      at::parallel_for(0, d.C, 1, [&](int64_t c0, int64_t c1) {
        for (int64_t c = c0; c < c1; c++) normBackward(G, X, W, M, I, GX, GW, GB, d, c);
      });
    });
    return {gx, gw, gb, Tensor(), Tensor(), Tensor(), Tensor()};
  }
};

Tensor batchNorm(const Tensor& x, const Tensor& w, const Tensor& b, const Tensor& rm, const Tensor& rv, bool training, double momentum,
                 double eps) {
  const auto dt = x.scalar_type();
  auto fits = [&](const Tensor& t, int64_t C) {
    return !t.defined() || (t.device().is_cpu() && t.scalar_type() == dt && t.dim() == 1 && t.size(0) == C && t.is_contiguous());
  };
  if (nativeKernels() && training && x.dim() >= 2 && x.dim() <= 4 && x.device().is_cpu() && x.layout() == torch::kStrided && (dt == torch::kFloat || dt == torch::kDouble) &&
      x.size(0) > 0 && x.size(1) > 0 && x.numel() > x.size(1) && fits(w, x.size(1)) && fits(b, x.size(1)) && fits(rm, x.size(1)) &&
      fits(rv, x.size(1)) && !(rm.defined() && rm.requires_grad()) && !(rv.defined() && rv.requires_grad())) {
    return BatchNormTrain::apply(x, w.defined() ? w : noBias(x), b.defined() ? b : noBias(x), rm.defined() ? rm : noBias(x),
                                 rv.defined() ? rv : noBias(x), momentum, eps);
  }
  return torch::batch_norm(x, w, b, rm, rv, training, momentum, eps, true);
}

}  // namespace gantry
