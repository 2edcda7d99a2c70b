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
// `cpuAllocatorStats()` reports hits, misses and bytes held. A request the system refuses empties
// the cache and tries once more, as PyTorch's CUDA allocator does.
//
// Underneath either allocator, glibc is told to keep freed blocks in its heap: by default it
// returns them to the kernel eagerly (mmap above 128 KiB, heap trimming above 128 KiB free), and a
// step that frees and reallocates the same activations then pays fresh page faults every step
// (measured on W2a: 69 per step in Node against 0.5 in Python, whose earlier large frees had
// raised glibc's dynamic thresholds). A user's own MALLOC_* settings win.
#include "binding.h"

#include <c10/core/CPUAllocator.h>

#include <cstdlib>
#include <malloc.h>
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
      void* base = systemAlloc(size);
      if (base == nullptr) {
        self().emptyCache();
        base = systemAlloc(size);
      }
      if (base == nullptr) {
        throw c10::Error({__func__, __FILE__, static_cast<uint32_t>(__LINE__)},
                         "gantry: out of CPU memory allocating " + std::to_string(nbytes) + " bytes");
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

  // Room for the header, then the data, both 64-byte aligned; null when the system refuses.
  static void* systemAlloc(size_t size) {
    void* base = nullptr;
    return posix_memalign(&base, kAlign, size + kAlign) == 0 ? base : nullptr;
  }

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

static void tuneMalloc() {
  if (std::getenv("MALLOC_MMAP_THRESHOLD_") || std::getenv("MALLOC_TRIM_THRESHOLD_") ||
      std::getenv("GANTRY_DEFAULT_MALLOC"))
    return;
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
}

void installCpuAllocator() {
  tuneMalloc();
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
    const auto s = a ? a->stats() : CachingCpuAllocator::Stats{0, 0, 0, 0};
    o.Set("caching", a != nullptr);
    o.Set("hits", static_cast<double>(s.hits));
    o.Set("misses", static_cast<double>(s.misses));
    o.Set("cachedBytes", static_cast<double>(s.cachedBytes));
    o.Set("capBytes", static_cast<double>(s.capBytes));
    return o;
  });
}

}  // namespace gantry
