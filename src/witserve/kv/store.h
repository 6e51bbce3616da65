// A key-value store behind a label (wasi:keyvalue, Spin's key-value): the small interface every
// storage backend implements (sqlite_store.cc, redis_store.cc), the size limits checked before a
// backend sees a key or value, and the factory that opens a backend from its settings.
//
// Keys are strings, values bytes. Counters (increment) are kept as decimal text ("42"), as Redis
// INCRBY keeps them, so every backend reads the other's counters the same way.
//
// Threads: one Store is shared by every worker thread of a server (and, through Redis or one
// SQLite file, by other processes): every method may be called from any thread at once, and the
// atomic ones (increment, compare_and_swap) are atomic across processes sharing the backend.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "witserve/base/result.h"

namespace witserve::kv {

struct Limits {
  size_t max_key = 256;          // bytes of a key
  size_t max_value = 1 << 20;    // bytes of a value
  size_t max_batch = 1000;       // keys of one get-many/set-many/delete-many
};

// What a backend answers for a page of keys: the keys and, when more follow, the cursor that
// continues after them (an opaque decimal number).
struct KeyPage {
  std::vector<std::string> keys;
  std::optional<std::string> cursor;
};

// Errors: kInvalidArgument for a key, value or cursor that breaks the limits or cannot be read
// (the message says which and the limit), kIo for the backend failing (Redis away, disk full).
class Store {
 public:
  Store(std::string label, Limits limits) : label_(std::move(label)), limits_(limits) {}
  virtual ~Store() = default;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  const std::string& label() const { return label_; }
  const Limits& limits() const { return limits_; }

  virtual Result<std::optional<std::string>> get(const std::string& key) = 0;
  virtual Status set(const std::string& key, const std::string& value) = 0;
  virtual Status remove(const std::string& key) = 0;
  virtual Result<bool> exists(const std::string& key) = 0;
  // Keys in no particular order, a page at a time: start with no cursor, pass back the cursor a
  // page returns until one returns none.
  virtual Result<KeyPage> list_keys(const std::optional<std::string>& cursor) = 0;
  // Adds `delta` to the counter at `key` (absent: 0) and returns the new value; a value that is
  // not a decimal 64-bit integer, or an overflow, is kInvalidArgument. Atomic.
  virtual Result<int64_t> increment(const std::string& key, int64_t delta) = 0;
  // Sets `key` to `value` only if it still holds `expected` (nullopt: only if absent); whether
  // it did. Atomic.
  virtual Result<bool> compare_and_swap(const std::string& key, const std::optional<std::string>& expected,
                                        const std::string& value) = 0;
  // Batches; the defaults loop, a backend may do better (one transaction, one round trip).
  virtual Result<std::vector<std::optional<std::string>>> get_many(const std::vector<std::string>& keys);
  virtual Status set_many(const std::vector<std::pair<std::string, std::string>>& entries);
  virtual Status remove_many(const std::vector<std::string>& keys);

  // The limits, checked by the callers (the WASI functions) before a backend is asked.
  Status check_key(std::string_view key) const;
  Status check_value(std::string_view value) const;
  Status check_batch(size_t n) const;

 private:
  std::string label_;
  Limits limits_;
};

// A counter's text ("-12") as a number, or kInvalidArgument naming the key.
Result<int64_t> parse_counter(const std::string& key, const std::string& text);
// `a + b`, or kInvalidArgument on overflow.
Result<int64_t> add_counter(const std::string& key, int64_t a, int64_t b);

// How a label's store is kept (the manifest's [key_value_store.LABEL]).
struct StoreOptions {
  enum class Type { kSqlite, kRedis } type = Type::kSqlite;
  std::filesystem::path path;  // sqlite: the database file (its directory is created)
  std::string url;             // redis: "redis://[:password@]host[:port][/db]"
  Limits limits;
};

// Opens the backend: a SQLite file is opened (and its table made) now, so that a bad path fails
// at startup; a Redis server is connected to on first use, so that witserve starts and serves
// other routes while Redis is away (each use then fails with kIo until it is back).
Result<std::shared_ptr<Store>> open_store(const std::string& label, const StoreOptions& options);

}  // namespace witserve::kv
