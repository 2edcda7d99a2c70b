// A caching allocator for CPU tensors.
//
// A training step allocates the same buffers, of the same sizes, every step, and (with scopes)
// frees them all at its end. libtorch's default CPU allocator hands each request to malloc and
// each release back to free; this one keeps released blocks in per-size free lists and returns
// the most recently released block of the requested size (still warm in cache). It is what
// PyTorch's CUDA caching allocator does for GPU memory, applied to the CPU.
//
// Blocks are cached only up to a cap (GANTRY_CPU_CACHE_MB, default 1024; 0 leaves libtorch's own
// allocator in place), `emptyCache()` returns every cached block to the system, and
// `cpuAllocatorStats()` reports hits, misses and bytes held.
#include "binding.h"

#include <c10/core/CPUAllocator.h>

#include <cstdlib>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace gantry {
namespace {

// 64-byte alignment, as c10's alloc_cpu; the block's size lives in a header just before the data.
constexpr size_t kAlign = 64;

class CachingCpuAllocator final : public c10::Allocator {
 public:
  explicit CachingCpuAllocator(size_t capBytes) : cap_(capBytes) {}

  c10::DataPtr allocate(size_t nbytes) const override {
    if (nbytes == 0) return {nullptr, nullptr, &release, c10::Device(c10::DeviceType::CPU)};
    const size_t size = (nbytes + kAlign - 1) / kAlign * kAlign;
    void* data = self().take(size);
    if (data == nullptr) {
      void* base = nullptr;
      if (posix_memalign(&base, kAlign, size + kAlign) != 0 || base == nullptr) {
        throw c10::Error({__func__, __FILE__, static_cast<uint32_t>(__LINE__)},
                         "gantry: out of CPU memory allocating " + std::to_string(nbytes) +
                             " bytes (call emptyCache() or lower the batch size)");
      }
      *static_cast<size_t*>(base) = size;
      data = static_cast<char*>(base) + kAlign;
    }
    return {data, data, &release, c10::Device(c10::DeviceType::CPU)};
  }

  c10::DeleterFnPtr raw_deleter() const override { return &release; }

  void emptyCache() {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [size, blocks] : free_) {
      for (void* data : blocks) std::free(static_cast<char*>(data) - kAlign);
    }
    free_.clear();
    cached_ = 0;
  }

  struct Stats {
    size_t hits, misses, cachedBytes, capBytes;
  };
  Stats stats() {
    std::lock_guard<std::mutex> lock(mu_);
    return {hits_, misses_, cached_, cap_};
  }

  static CachingCpuAllocator* instance;

 private:
  CachingCpuAllocator& self() const { return *const_cast<CachingCpuAllocator*>(this); }

  void* take(size_t size) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = free_.find(size);
    if (it == free_.end() || it->second.empty()) {
      misses_++;
      return nullptr;
    }
    void* data = it->second.back();
    it->second.pop_back();
    cached_ -= size;
    hits_++;
    return data;
  }

  void give(void* data) {
    const size_t size = *reinterpret_cast<size_t*>(static_cast<char*>(data) - kAlign);
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (cached_ + size <= cap_) {
        free_[size].push_back(data);
        cached_ += size;
        return;
      }
    }
    std::free(static_cast<char*>(data) - kAlign);
  }

  static void release(void* data) {
    if (data != nullptr) instance->give(data);
  }

  const size_t cap_;
  std::mutex mu_;
  std::unordered_map<size_t, std::vector<void*>> free_;
  size_t cached_ = 0, hits_ = 0, misses_ = 0;
};

// Never destroyed: tensors may be released during static destruction at exit.
CachingCpuAllocator* CachingCpuAllocator::instance = nullptr;

}  // namespace

void installCpuAllocator() {
  const char* env = std::getenv("GANTRY_CPU_CACHE_MB");
  const long mb = env ? std::strtol(env, nullptr, 10) : 1024;
  if (mb <= 0 || CachingCpuAllocator::instance != nullptr) return;
  CachingCpuAllocator::instance = new CachingCpuAllocator(static_cast<size_t>(mb) << 20);
  c10::SetCPUAllocator(CachingCpuAllocator::instance, /*priority=*/1);
}

void registerAllocator(Napi::Env env, Napi::Object exports) {
  reg(env, exports, "emptyCache", [](const Napi::CallbackInfo& info) -> Napi::Value {
    if (CachingCpuAllocator::instance) CachingCpuAllocator::instance->emptyCache();
    return info.Env().Undefined();
  });
  reg(env, exports, "cpuAllocatorStats", [](const Napi::CallbackInfo& info) -> Napi::Value {
    Napi::Object o = Napi::Object::New(info.Env());
    auto* a = CachingCpuAllocator::instance;
    o.Set("caching", a != nullptr);
    if (a) {
      auto s = a->stats();
      o.Set("hits", static_cast<double>(s.hits));
      o.Set("misses", static_cast<double>(s.misses));
      o.Set("cachedBytes", static_cast<double>(s.cachedBytes));
      o.Set("capBytes", static_cast<double>(s.capBytes));
    }
    return o;
  });
}

}  // namespace gantry
