// Argument conversion, tensor handles and the runtime entry points (version, threads, seeds,
// autograd switches). Ops live in ops.cc.
#include "binding.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <ATen/Version.h>
#include <torch/csrc/autograd/profiler_legacy.h>
#include <torch/cuda.h>

#include <cstring>

namespace gantry {

int64_t liveTensors = 0;

static std::unique_ptr<torch::autograd::profiler::RecordProfile> profile;  // while profiling

// Tensors handed to JavaScript live in a slot table and cross the boundary as slot numbers.
// JavaScript frees a slot explicitly (scopes, dispose) or through a FinalizationRegistry, so
// freeing never waits for a garbage-collector finalizer, which a synchronous training loop
// would starve.
static std::vector<torch::Tensor> slots;
static std::vector<uint32_t> freeSlots;

Napi::Value wrap(Napi::Env env, torch::Tensor t) {
  if (!t.defined()) return env.Null();
  uint32_t id;
  if (freeSlots.empty()) {
    id = static_cast<uint32_t>(slots.size());
    slots.push_back(std::move(t));
  } else {
    id = freeSlots.back();
    freeSlots.pop_back();
    slots[id] = std::move(t);
  }
  liveTensors++;
  return Napi::Number::New(env, id);
}

static torch::Tensor* slotOf(Napi::Value v) {
  if (!v.IsNumber()) return nullptr;
  int64_t id = v.As<Napi::Number>().Int64Value();
  if (id < 0 || id >= static_cast<int64_t>(slots.size())) return nullptr;
  return &slots[id];
}

static std::string where(size_t i) { return "argument " + std::to_string(i); }

torch::Tensor& argTensor(const Napi::CallbackInfo& info, size_t i) {
  torch::Tensor* t = slotOf(info[i]);
  if (t == nullptr) throw Napi::TypeError::New(info.Env(), where(i) + " must be a Tensor");
  if (!t->defined()) {
    throw Napi::Error::New(info.Env(),
                           "a tensor was used after it was disposed: return it from its scope or keep() it");
  }
  return *t;
}

static void disposeSlot(Napi::Value v) {
  torch::Tensor* t = slotOf(v);
  if (t == nullptr || !t->defined()) return;
  *t = torch::Tensor();
  freeSlots.push_back(static_cast<uint32_t>(v.As<Napi::Number>().Int64Value()));
  liveTensors--;
}

torch::Tensor argOptTensor(const Napi::CallbackInfo& info, size_t i) {
  if (info[i].IsNull() || info[i].IsUndefined()) return torch::Tensor();
  return argTensor(info, i);
}

std::vector<torch::Tensor> argTensors(const Napi::CallbackInfo& info, size_t i) {
  if (!info[i].IsArray()) throw Napi::TypeError::New(info.Env(), where(i) + " must be an array of Tensors");
  Napi::Array a = info[i].As<Napi::Array>();
  std::vector<torch::Tensor> ts;
  ts.reserve(a.Length());
  for (uint32_t k = 0; k < a.Length(); k++) {
    torch::Tensor* t = slotOf(a[k]);
    if (t == nullptr) throw Napi::TypeError::New(info.Env(), where(i) + "[" + std::to_string(k) + "] must be a Tensor");
    if (!t->defined()) throw Napi::Error::New(info.Env(), "a tensor was used after it was disposed");
    ts.push_back(*t);
  }
  return ts;
}

double argDouble(const Napi::CallbackInfo& info, size_t i) {
  if (!info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), where(i) + " must be a number");
  return info[i].As<Napi::Number>().DoubleValue();
}

c10::optional<double> argOptDouble(const Napi::CallbackInfo& info, size_t i) {
  if (info[i].IsNull() || info[i].IsUndefined()) return c10::nullopt;
  return argDouble(info, i);
}

c10::optional<at::Scalar> argOptScalar(const Napi::CallbackInfo& info, size_t i) {
  if (info[i].IsNull() || info[i].IsUndefined()) return c10::nullopt;
  return at::Scalar(argDouble(info, i));
}

int64_t argInt(const Napi::CallbackInfo& info, size_t i) {
  if (!info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), where(i) + " must be an integer");
  return info[i].As<Napi::Number>().Int64Value();
}

bool argBool(const Napi::CallbackInfo& info, size_t i) {
  if (!info[i].IsBoolean()) throw Napi::TypeError::New(info.Env(), where(i) + " must be a boolean");
  return info[i].As<Napi::Boolean>().Value();
}

std::string argString(const Napi::CallbackInfo& info, size_t i) {
  if (!info[i].IsString()) throw Napi::TypeError::New(info.Env(), where(i) + " must be a string");
  return info[i].As<Napi::String>().Utf8Value();
}

std::vector<int64_t> argInts(const Napi::CallbackInfo& info, size_t i) {
  if (!info[i].IsArray()) throw Napi::TypeError::New(info.Env(), where(i) + " must be an array of integers");
  Napi::Array a = info[i].As<Napi::Array>();
  std::vector<int64_t> xs(a.Length());
  for (uint32_t k = 0; k < a.Length(); k++) {
    Napi::Value v = a[k];
    if (!v.IsNumber()) throw Napi::TypeError::New(info.Env(), where(i) + " must be an array of integers");
    xs[k] = v.As<Napi::Number>().Int64Value();
  }
  return xs;
}

torch::ScalarType argDtype(const Napi::CallbackInfo& info, size_t i) {
  std::string s = argString(info, i);
  if (s == "float32") return torch::kFloat32;
  if (s == "float64") return torch::kFloat64;
  if (s == "int64") return torch::kInt64;
  if (s == "int32") return torch::kInt32;
  if (s == "uint8") return torch::kUInt8;
  if (s == "bool") return torch::kBool;
  throw Napi::TypeError::New(info.Env(),
                             "unknown dtype '" + s + "': use float32, float64, int64, int32, uint8 or bool");
}

static std::string dtypeName(torch::ScalarType t) {
  switch (t) {
    case torch::kFloat32: return "float32";
    case torch::kFloat64: return "float64";
    case torch::kInt64: return "int64";
    case torch::kInt32: return "int32";
    case torch::kUInt8: return "uint8";
    case torch::kBool: return "bool";
    default: return c10::toString(t);
  }
}

torch::Device argDevice(const Napi::CallbackInfo& info, size_t i) {
  std::string s = argString(info, i);
  torch::Device d(s);  // throws c10::Error with libtorch's message on a bad string
  if (d.is_cuda() && !torch::cuda::is_available()) {
    throw Napi::Error::New(info.Env(), "device '" + s + "' requested but CUDA is not available in this libtorch build; use 'cpu'");
  }
  return d;
}

// A device's default generator.
static at::Generator generatorOf(const torch::Device& d) {
  return d.is_cpu() ? at::detail::getDefaultCPUGenerator() : at::globalContext().defaultGenerator(d);
}

torch::TensorOptions argOptions(const Napi::CallbackInfo& info, size_t dtype, size_t device) {
  return torch::TensorOptions().dtype(argDtype(info, dtype)).device(argDevice(info, device));
}

int64_t argReduction(const Napi::CallbackInfo& info, size_t i) {
  std::string s = argString(info, i);
  if (s == "mean") return at::Reduction::Mean;
  if (s == "sum") return at::Reduction::Sum;
  if (s == "none") return at::Reduction::None;
  throw Napi::TypeError::New(info.Env(), "unknown reduction '" + s + "': use mean, sum or none");
}

Napi::Value out(Napi::Env env, const std::vector<torch::Tensor>& ts) {
  Napi::Array a = Napi::Array::New(env, ts.size());
  for (size_t k = 0; k < ts.size(); k++) a[k] = wrap(env, ts[k]);
  return a;
}

Napi::Value out(Napi::Env env, const std::tuple<torch::Tensor, torch::Tensor>& ts) {
  return out(env, std::vector<torch::Tensor>{std::get<0>(ts), std::get<1>(ts)});
}

Napi::Value out(Napi::Env env, const std::vector<int64_t>& xs) {
  Napi::Array a = Napi::Array::New(env, xs.size());
  for (size_t k = 0; k < xs.size(); k++) a[k] = Napi::Number::New(env, static_cast<double>(xs[k]));
  return a;
}

std::string cleanMessage(const char* what) {
  // libtorch messages end with a C++ frame list on some builds; keep the first paragraph.
  std::string s(what);
  auto cut = s.find("\nException raised from");
  if (cut != std::string::npos) s.resize(cut);
  return s;
}

// Copies a typed array into a new tensor of the given shape and dtype.
static torch::Tensor fromTypedArray(const Napi::CallbackInfo& info) {
  if (!info[0].IsTypedArray()) throw Napi::TypeError::New(info.Env(), "argument 0 must be a typed array");
  Napi::TypedArray a = info[0].As<Napi::TypedArray>();
  std::vector<int64_t> shape = argInts(info, 1);
  torch::ScalarType st;
  switch (a.TypedArrayType()) {
    case napi_float32_array: st = torch::kFloat32; break;
    case napi_float64_array: st = torch::kFloat64; break;
    case napi_bigint64_array: st = torch::kInt64; break;
    case napi_int32_array: st = torch::kInt32; break;
    case napi_uint8_array: st = torch::kUInt8; break;
    default: throw Napi::TypeError::New(info.Env(), "unsupported typed array: use Float32Array, Float64Array, BigInt64Array, Int32Array or Uint8Array");
  }
  int64_t numel = 1;
  for (auto s : shape) numel *= s;
  if (numel != static_cast<int64_t>(a.ElementLength())) {
    throw Napi::Error::New(info.Env(), "shape holds " + std::to_string(numel) + " elements but the array has " +
                                           std::to_string(a.ElementLength()));
  }
  uint8_t* data = static_cast<uint8_t*>(a.ArrayBuffer().Data()) + a.ByteOffset();
  return torch::from_blob(data, shape, torch::TensorOptions().dtype(st)).clone();
}

// Copies a tensor's elements (moved to CPU, made contiguous) into a new typed array.
static Napi::Value toTypedArray(const Napi::CallbackInfo& info) {
  torch::Tensor t = argTensor(info, 0).detach().to(torch::kCPU).contiguous();
  Napi::Env env = info.Env();
  size_t n = t.numel();
  switch (t.scalar_type()) {
    case torch::kFloat32: {
      auto a = Napi::Float32Array::New(env, n);
      if (n) std::memcpy(a.Data(), t.data_ptr(), n * 4);
      return a;
    }
    case torch::kFloat64: {
      auto a = Napi::Float64Array::New(env, n);
      if (n) std::memcpy(a.Data(), t.data_ptr(), n * 8);
      return a;
    }
    case torch::kInt64: {
      auto buf = Napi::ArrayBuffer::New(env, n * 8);
      if (n) std::memcpy(buf.Data(), t.data_ptr(), n * 8);
      return Napi::TypedArrayOf<int64_t>::New(env, n, buf, 0, napi_bigint64_array);
    }
    case torch::kInt32: {
      auto a = Napi::Int32Array::New(env, n);
      if (n) std::memcpy(a.Data(), t.data_ptr(), n * 4);
      return a;
    }
    case torch::kUInt8:
    case torch::kBool: {
      auto a = Napi::Uint8Array::New(env, n);
      if (n) std::memcpy(a.Data(), t.data_ptr(), n);
      return a;
    }
    default: throw Napi::TypeError::New(env, "cannot read a tensor of dtype " + dtypeName(t.scalar_type()));
  }
}

void registerRuntime(Napi::Env env, Napi::Object exports) {
  reg(env, exports, "fromTypedArray", [](const Napi::CallbackInfo& info) { return wrap(info.Env(), fromTypedArray(info)); });
  reg(env, exports, "toTypedArray", toTypedArray);
  OP(item, T(0).item<double>());
  OP(shape, T(0).sizes().vec());
  OP(dtype, dtypeName(T(0).scalar_type()));
  OP(device, T(0).device().str());
  OP(numel, static_cast<double>(T(0).numel()));
  OP(dim, static_cast<double>(T(0).dim()));
  OP(requiresGrad, T(0).requires_grad());
  OPV(setRequiresGrad, T(0).set_requires_grad(B(1)));
  OP(isLeaf, T(0).is_leaf());
  OP(grad, T(0).grad());
  OPV(zeroGrad, {
    auto& g = T(0).mutable_grad();
    if (g.defined()) g = torch::Tensor();
  });
  OPV(setGrad, T(0).mutable_grad() = OT(1));
  OPV(dispose, disposeSlot(info[0]));
  OP(liveTensors, static_cast<double>(liveTensors));
  OP(sameStorage, T(0).is_same(T(1)));

  OPV(manualSeed, {
    torch::manual_seed(static_cast<uint64_t>(I(0)));
    if (torch::cuda::is_available()) torch::cuda::manual_seed_all(static_cast<uint64_t>(I(0)));
  });
  // A device's generator state (uint8; 'cpu', 'cuda:0'): to draw from a private stream and come
  // back where the global one was (a network initialised from its own seed), and to checkpoint a
  // run's randomness.
  OP(getRngState, generatorOf(DEV(0)).get_state());
  OPV(setRngState, {
    auto gen = generatorOf(DEV(1));
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(T(0));
  });
  // libtorch's own op-level profiler (the legacy one of torch.autograd.profiler) on this thread,
  // written as a Chrome trace when stopped: where a step's time goes, op by op (perf/profile.ts).
  OPV(profileStart, {
    if (profile) throw std::runtime_error("profileStart: the profiler is already running; call profileStop first");
    profile = std::make_unique<torch::autograd::profiler::RecordProfile>(S(0));
  });
  OPV(profileStop, profile.reset());
  OPV(setNumThreads, at::set_num_threads(static_cast<int>(I(0))));
  OP(getNumThreads, static_cast<double>(at::get_num_threads()));
  OP(cudaIsAvailable, torch::cuda::is_available());
  OP(cudaDeviceCount, static_cast<double>(torch::cuda::device_count()));
  OPV(cudaSynchronize, { if (torch::cuda::is_available()) torch::cuda::synchronize(); });
  OP(showConfig, at::show_config());
  OP(version, std::string(TORCH_VERSION));
  OPV(setGradEnabled, torch::autograd::GradMode::set_enabled(B(0)));
  OP(isGradEnabled, torch::autograd::GradMode::is_enabled());

  OPV(backward, T(0).backward(OT(1), B(2), B(3)));
  // Gradients accumulate only into `inputs` (PyTorch's loss.backward(inputs=...)): the rest of the
  // graph's leaves are skipped, and so is the work of computing their gradients.
  OPV(backwardInputs, T(0).backward(OT(1), B(2), B(3), c10::optional<at::TensorList>(TL(4))));
  reg(env, exports, "autogradGrad", [](const Napi::CallbackInfo& info) -> Napi::Value {
    std::vector<torch::Tensor> outputs = argTensors(info, 0), inputs = argTensors(info, 1);
    std::vector<torch::Tensor> gradOutputs;
    if (info[2].IsArray()) gradOutputs = argTensors(info, 2);
    auto grads = torch::autograd::grad(outputs, inputs, gradOutputs, B(3), B(4), B(5));
    return out(info.Env(), grads);
  });
}

}  // namespace gantry

static Napi::Object init(Napi::Env env, Napi::Object exports) {
  gantry::installCpuAllocator();
  gantry::registerRuntime(env, exports);
  gantry::registerAllocator(env, exports);
  gantry::registerSignals(env, exports);
  gantry::registerTensorOps(env, exports);
  return exports;
}

NODE_API_MODULE(gantry, init)
