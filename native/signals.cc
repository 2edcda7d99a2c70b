// Stop requests for synchronous training loops. A training loop runs in one JavaScript turn, so a
// Node signal handler (process.on('SIGINT')) would only run after it ends. Instead, watchSignals()
// installs C handlers for SIGINT and SIGTERM that record the signal; the loop polls pendingSignal()
// after every step, finishes cleanly (checkpoint, terminal restored) and exits 130 or 143. A second
// signal of the same kind, while the first is still pending, ends the process at once: the user
// asked twice, and every checkpoint is written atomically, so nothing saved is lost.
#include <csignal>
#include <unistd.h>

#include "binding.h"

namespace gantry {
namespace {

volatile std::sig_atomic_t pending = 0;
struct sigaction previous[2];
bool watching = false;

void onSignal(int sig) {
  if (pending == sig) _exit(128 + sig);
  pending = sig;
}

}  // namespace

void registerSignals(Napi::Env env, Napi::Object exports) {
  reg(env, exports, "watchSignals", [](const Napi::CallbackInfo& info) -> Napi::Value {
    const bool on = info[0].As<Napi::Boolean>().Value();
    if (on && !watching) {
      struct sigaction sa {};
      sa.sa_handler = onSignal;
      sigemptyset(&sa.sa_mask);
      sigaction(SIGINT, &sa, &previous[0]);
      sigaction(SIGTERM, &sa, &previous[1]);
      watching = true;
    } else if (!on && watching) {
      sigaction(SIGINT, &previous[0], nullptr);
      sigaction(SIGTERM, &previous[1], nullptr);
      watching = false;
    }
    pending = 0;
    return info.Env().Undefined();
  });
  reg(env, exports, "pendingSignal", [](const Napi::CallbackInfo& info) -> Napi::Value {
    const int sig = pending;
    return Napi::Number::New(info.Env(), sig);
  });
}

}  // namespace gantry
