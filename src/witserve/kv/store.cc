// Store's limits and default batches, counter text, and open_store (store.h).
#include "witserve/kv/store.h"

#include <charconv>

namespace witserve::kv {

Result<std::shared_ptr<Store>> open_sqlite_store(const std::string& label, const StoreOptions& options);
Result<std::shared_ptr<Store>> open_redis_store(const std::string& label, const StoreOptions& options);

Result<std::vector<std::optional<std::string>>> Store::get_many(const std::vector<std::string>& keys) {
  std::vector<std::optional<std::string>> out;
  out.reserve(keys.size());
  for (const auto& k : keys) {
    WITSERVE_ASSIGN_OR_RETURN(auto v, get(k));
    out.push_back(std::move(v));
  }
  return out;
}

Status Store::set_many(const std::vector<std::pair<std::string, std::string>>& entries) {
  for (const auto& [k, v] : entries) WITSERVE_TRY(set(k, v));
  return ok();
}

Status Store::remove_many(const std::vector<std::string>& keys) {
  for (const auto& k : keys) WITSERVE_TRY(remove(k));
  return ok();
}

Status Store::check_key(std::string_view key) const {
  if (key.size() > limits_.max_key)
    return Error(ErrorKind::kInvalidArgument, "key of " + std::to_string(key.size()) + " bytes is too long: store '" +
                                                  label_ + "' takes keys of at most " +
                                                  std::to_string(limits_.max_key) + " bytes");
  return ok();
}

Status Store::check_value(std::string_view value) const {
  if (value.size() > limits_.max_value)
    return Error(ErrorKind::kInvalidArgument, "value of " + std::to_string(value.size()) +
                                                  " bytes is too large: store '" + label_ +
                                                  "' takes values of at most " + std::to_string(limits_.max_value) +
                                                  " bytes");
  return ok();
}

Status Store::check_batch(size_t n) const {
  if (n > limits_.max_batch)
    return Error(ErrorKind::kInvalidArgument, "a batch of " + std::to_string(n) + " keys is too large: store '" +
                                                  label_ + "' takes at most " + std::to_string(limits_.max_batch) +
                                                  " keys at once");
  return ok();
}

Result<int64_t> parse_counter(const std::string& key, const std::string& text) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty())
    return Error(ErrorKind::kInvalidArgument, "the value of '" + key + "' is not a decimal 64-bit integer, so it cannot be incremented");
  return v;
}

Result<int64_t> add_counter(const std::string& key, int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_add_overflow(a, b, &r))
    return Error(ErrorKind::kInvalidArgument, "incrementing '" + key + "' would overflow a 64-bit integer");
  return r;
}

Result<std::shared_ptr<Store>> open_store(const std::string& label, const StoreOptions& options) {
  if (options.type == StoreOptions::Type::kRedis) return open_redis_store(label, options);
  return open_sqlite_store(label, options);
}

}  // namespace witserve::kv
