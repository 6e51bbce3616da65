// The state behind one component instance's WASI imports: its table of host objects (the
// representations behind wasi resource handles), the grants of its route (environment,
// preopened directories, outgoing HTTP), its deadline, and its stdout/stderr line buffers.
//
// The Linker's WASI functions (wasi.h) are shared by every thread and hold no state; they act
// on WasiContext::current(), which the runtime sets around instantiation and every call
// (WasiContext::Enter). Thread: a context is made, used and destroyed on one worker thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <span>
#include <typeinfo>
#include <utility>
#include <vector>

#include "witserve/base/result.h"

namespace witserve::kv {
class Store;  // kv/store.h
}

namespace witserve::wasi {

using Clock = std::chrono::steady_clock;

// What a route grants its component. Everything is denied unless listed here.
struct Grants {
  std::string route;  // tags log lines
  std::vector<std::pair<std::string, std::string>> env;
  struct Dir {
    std::filesystem::path host;
    std::string guest;  // absolute guest path, e.g. "/static"
    bool writable = false;
  };
  std::vector<Dir> dirs;
  // Whether outgoing HTTP to scheme://host:port is allowed; empty: nothing is.
  std::function<bool(std::string_view scheme, std::string_view host, uint16_t port)> outbound;
  std::vector<std::string> outbound_rules;  // the same rules as text, for listings
  uint64_t max_outgoing_body = 64 << 20;  // responses of outgoing requests
  // The route's configuration (wasi:config/store, Spin variables), values from the environment
  // already resolved.
  std::map<std::string, std::string> config;
  // The key-value stores the route may open, by label (wasi:keyvalue, Spin key-value); any
  // other label is access-denied. Stores are shared by every thread and route granting them.
  std::map<std::string, std::shared_ptr<kv::Store>> key_value;
};

// A host object behind a resource handle.
class Object {
 public:
  virtual ~Object() = default;
};

// The objects of one context; a rep is an index (never 0). Host memory is not the guest's
// linear memory, so the number of live objects is bounded: past kMaxLive, the WASI call that
// made one more traps.
class Table {
 public:
  static constexpr size_t kMaxLive = 64 * 1024;
  uint32_t add(std::unique_ptr<Object> o);
  // The object at `rep` if it is a T; a trap otherwise.
  template <typename T>
  Result<T*> get(uint32_t rep) {
    Object* o = find(rep);
    if (!o) return Error(ErrorKind::kTrap, "unknown WASI resource " + std::to_string(rep));
    auto* t = dynamic_cast<T*>(o);
    if (!t) return Error(ErrorKind::kTrap, "WASI resource " + std::to_string(rep) + " is not a " + typeid(T).name());
    return t;
  }
  template <typename T>
  Result<std::unique_ptr<T>> take(uint32_t rep) {
    WITSERVE_ASSIGN_OR_RETURN(T * t, get<T>(rep));
    (void)t;
    --live_;
    free_.push_back(rep);
    return std::unique_ptr<T>(static_cast<T*>(objects_[rep].release()));
  }
  void remove(uint32_t rep);
  size_t live() const { return live_; }
  bool over_limit() const { return live_ > kMaxLive; }

 private:
  Object* find(uint32_t rep) const { return rep < objects_.size() ? objects_[rep].get() : nullptr; }
  std::vector<std::unique_ptr<Object>> objects_{1};  // [0] stays empty
  std::vector<uint32_t> free_;
  size_t live_ = 0;
};

class HttpCall;  // http.h: the wasi:http request being answered, if any

class WasiContext {
 public:
  explicit WasiContext(std::shared_ptr<const Grants> grants);
  ~WasiContext();
  WasiContext(const WasiContext&) = delete;
  WasiContext& operator=(const WasiContext&) = delete;

  const Grants& grants() const { return *grants_; }
  Table& table() { return table_; }

  // Host waits (poll, blocking reads) end at the deadline with a trap.
  Clock::time_point deadline = Clock::time_point::max();
  Status check_deadline() const;
  // Sleeps until `until` or the deadline, whichever is first; a trap when the deadline passed.
  Status sleep_until(Clock::time_point until);
  // Called before the guest blocks (poll, sleep): a response being buffered starts streaming.
  std::function<void()> before_block;

  // stdout (1) and stderr (2): complete lines go to the log, tagged with the route.
  void output(int fd, std::span<const uint8_t> data);
  void flush_output();

  HttpCall* http = nullptr;

  // How many times a guest on this thread has waited in the host (a sleep or poll that had to
  // wait, an outgoing HTTP request): the runtime keeps routes that wait off its I/O threads.
  static uint64_t waits_on_this_thread();
  static void note_wait();

  // The context WASI functions on this thread act on.
  static WasiContext* current();
  class Enter {
   public:
    explicit Enter(WasiContext* c);
    ~Enter();
    Enter(const Enter&) = delete;
    Enter& operator=(const Enter&) = delete;

   private:
    WasiContext* saved_;
  };

 private:
  std::shared_ptr<const Grants> grants_;
  Table table_;
  std::string line_[2];
};

}  // namespace witserve::wasi
