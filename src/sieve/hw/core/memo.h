// A cache that simulations of one workload share (SimOptions::memo): results an architecture
// derives from the workload and a plan alone, not from the rest of its preset, so that a sweep
// over memory bandwidths or buffer sizes computes each only once per distinct plan (Sieve: the
// walk cells of a layer under one tiling, hw/archs/sieve/perf.cc).
//
// Contract: one memo belongs to one workload, which must outlive it and stay unchanged; keys
// name the architecture, the layer (its address in that workload) and everything else the
// value depends on; a value is immutable once stored. A cached result is exactly the one the
// simulation would compute, so using a memo changes no number.
//
// Thread-safety: find and put may be called from any thread; two threads may compute the same
// value, and the first stored is kept. Memory: at most the budget given at construction.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace sieve::hw {

class SimMemo {
 public:
  // The value stored under `key`, or null.
  template <typename T>
  std::shared_ptr<const T> find(const std::string& key) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = values_.find(key);
    return it == values_.end() ? nullptr : std::static_pointer_cast<const T>(it->second);
  }
  // Stores `value` (about `bytes` large) under `key` unless a value is there already, or the
  // memo already holds its budget of bytes (then nothing more is kept: a cache miss only costs
  // time).
  template <typename T>
  void put(const std::string& key, std::shared_ptr<const T> value, size_t bytes) {
    std::lock_guard<std::mutex> lock(mu_);
    if (held_ + bytes + key.size() > budget_) return;
    if (values_.emplace(key, std::move(value)).second) held_ += bytes + key.size();
  }

  explicit SimMemo(size_t budget_bytes = size_t{256} << 20) : budget_(budget_bytes) {}

 private:
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<const void>> values_;
  size_t budget_ = 0, held_ = 0;
};

}  // namespace sieve::hw
