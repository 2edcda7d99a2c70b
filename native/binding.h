// The boundary between JavaScript and libtorch. This layer only converts arguments, calls
// libtorch and converts the result back; every libtorch error becomes a JavaScript Error.
// Tensors cross as slot numbers (see binding.cc); the typed API lives in src/torch/.
#pragma once

#include <napi.h>
#include <torch/torch.h>

#include <string>
#include <tuple>
#include <vector>

namespace gantry {

// Number of tensors handed to JavaScript and not yet disposed or collected.
extern int64_t liveTensors;

Napi::Value wrap(Napi::Env env, torch::Tensor t);

torch::Tensor& argTensor(const Napi::CallbackInfo& info, size_t i);
torch::Tensor argOptTensor(const Napi::CallbackInfo& info, size_t i);
std::vector<torch::Tensor> argTensors(const Napi::CallbackInfo& info, size_t i);
double argDouble(const Napi::CallbackInfo& info, size_t i);
int64_t argInt(const Napi::CallbackInfo& info, size_t i);
bool argBool(const Napi::CallbackInfo& info, size_t i);
std::string argString(const Napi::CallbackInfo& info, size_t i);
std::vector<int64_t> argInts(const Napi::CallbackInfo& info, size_t i);
c10::optional<double> argOptDouble(const Napi::CallbackInfo& info, size_t i);
c10::optional<at::Scalar> argOptScalar(const Napi::CallbackInfo& info, size_t i);
torch::ScalarType argDtype(const Napi::CallbackInfo& info, size_t i);
torch::Device argDevice(const Napi::CallbackInfo& info, size_t i);
torch::TensorOptions argOptions(const Napi::CallbackInfo& info, size_t dtype, size_t device);
int64_t argReduction(const Napi::CallbackInfo& info, size_t i);

inline Napi::Value out(Napi::Env env, torch::Tensor t) { return wrap(env, std::move(t)); }
inline Napi::Value out(Napi::Env env, double d) { return Napi::Number::New(env, d); }
inline Napi::Value out(Napi::Env env, bool b) { return Napi::Boolean::New(env, b); }
inline Napi::Value out(Napi::Env env, const std::string& s) { return Napi::String::New(env, s); }
Napi::Value out(Napi::Env env, const std::vector<torch::Tensor>& ts);
Napi::Value out(Napi::Env env, const std::tuple<torch::Tensor, torch::Tensor>& ts);
Napi::Value out(Napi::Env env, const std::vector<int64_t>& xs);

std::string cleanMessage(const char* what);

// Registers one entry point; libtorch and C++ errors thrown inside become JavaScript Errors.
template <typename F>
void reg(Napi::Env env, Napi::Object exports, const char* name, F f) {
  exports.Set(name, Napi::Function::New(
                        env,
                        [f](const Napi::CallbackInfo& info) -> Napi::Value {
                          try {
                            return f(info);
                          } catch (const Napi::Error&) {
                            throw;
                          } catch (const c10::Error& e) {
                            throw Napi::Error::New(info.Env(), cleanMessage(e.what_without_backtrace()));
                          } catch (const std::exception& e) {
                            throw Napi::Error::New(info.Env(), cleanMessage(e.what()));
                          } catch (...) {
                            throw Napi::Error::New(info.Env(), "unknown native error");
                          }
                        },
                        name));
}

void registerTensorOps(Napi::Env env, Napi::Object exports);
void registerRuntime(Napi::Env env, Napi::Object exports);
// allocator.cc: glibc's settings and the caching CPU allocator (installed once, at load), and their
// JavaScript entry points.
void installCpuAllocator();
void registerAllocator(Napi::Env env, Napi::Object exports);
void registerSignals(Napi::Env env, Napi::Object exports);

}  // namespace gantry

// One line per op: OP(name, expression using T(i), D(i), ...) returns the expression's value;
// OPV(name, statement) returns undefined. The JavaScript side adds one line in src/torch/.
#define T(i) ::gantry::argTensor(info, i)
#define OT(i) ::gantry::argOptTensor(info, i)
#define TL(i) ::gantry::argTensors(info, i)
#define D(i) ::gantry::argDouble(info, i)
#define OD(i) ::gantry::argOptDouble(info, i)
#define OS(i) ::gantry::argOptScalar(info, i)
#define I(i) ::gantry::argInt(info, i)
#define B(i) ::gantry::argBool(info, i)
#define S(i) ::gantry::argString(info, i)
#define IL(i) ::gantry::argInts(info, i)
#define DT(i) ::gantry::argDtype(info, i)
#define DEV(i) ::gantry::argDevice(info, i)
#define OPTS(i, j) ::gantry::argOptions(info, i, j)
#define RED(i) ::gantry::argReduction(info, i)

#define OP(name, ...)                                                                  \
  ::gantry::reg(env, exports, #name, [](const Napi::CallbackInfo& info) -> Napi::Value { \
    return ::gantry::out(info.Env(), (__VA_ARGS__));                                   \
  })
#define OPV(name, ...)                                                                 \
  ::gantry::reg(env, exports, #name, [](const Napi::CallbackInfo& info) -> Napi::Value { \
    __VA_ARGS__;                                                                       \
    return info.Env().Undefined();                                                     \
  })
