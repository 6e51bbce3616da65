// The Redis backend of a key-value store (store.h), through Debian's hiredis: for several witserve
// processes (nodes) sharing one store. Keys are Redis keys of the URL's database as they are;
// counters are Redis integers (INCRBY); compare-and-swap is one Lua script, so both are atomic
// across every process using the server.
//
// Threads: a pool of blocking connections under a mutex; a call takes one for its duration, so
// worker threads never share a connection. A connection that fails is dropped; the next call
// connects again (so witserve starts and keeps serving while Redis is away).
#include <hiredis/hiredis.h>

#include <charconv>
#include <mutex>

#include "witserve/kv/store.h"

namespace witserve::kv {
namespace {

constexpr size_t kMaxIdle = 16;
constexpr timeval kConnectTimeout{2, 0};
constexpr timeval kCommandTimeout{5, 0};

// Sets KEYS[1] to ARGV[1] if it holds ARGV[3] (ARGV[2] == "1") or is absent (ARGV[2] == "0").
constexpr const char* kCasScript = R"lua(
local v = redis.call('GET', KEYS[1])
if ARGV[2] == '0' then
  if v then return 0 end
elseif v ~= ARGV[3] then
  return 0
end
redis.call('SET', KEYS[1], ARGV[1])
return 1
)lua";

struct Url {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string user, password;
  int db = 0;
};

Result<Url> parse_url(const std::string& text) {
  auto bad = [&](const std::string& why) {
    return Error(ErrorKind::kInvalidArgument, "redis url '" + text + "': " + why);
  };
  std::string_view s = text;
  if (!s.starts_with("redis://")) return bad("must start with redis://");
  s.remove_prefix(8);
  Url u;
  if (auto at = s.rfind('@'); at != std::string_view::npos) {
    std::string_view cred = s.substr(0, at);
    s.remove_prefix(at + 1);
    auto colon = cred.find(':');
    if (colon == std::string_view::npos) {
      u.password = std::string(cred);
    } else {
      u.user = std::string(cred.substr(0, colon));
      u.password = std::string(cred.substr(colon + 1));
    }
  }
  std::string_view hostport = s, path;
  if (auto slash = s.find('/'); slash != std::string_view::npos) {
    hostport = s.substr(0, slash);
    path = s.substr(slash + 1);
  }
  if (!path.empty()) {
    auto [end, ec] = std::from_chars(path.data(), path.data() + path.size(), u.db);
    if (ec != std::errc() || end != path.data() + path.size() || u.db < 0) return bad("the database must be a number");
  }
  std::string_view host = hostport, port;
  if (hostport.starts_with('[')) {
    auto close = hostport.find(']');
    if (close == std::string_view::npos) return bad("unclosed '['");
    host = hostport.substr(1, close - 1);
    if (close + 1 < hostport.size()) {
      if (hostport[close + 1] != ':') return bad("expected ':' after ']'");
      port = hostport.substr(close + 2);
    }
  } else if (auto colon = hostport.rfind(':'); colon != std::string_view::npos) {
    host = hostport.substr(0, colon);
    port = hostport.substr(colon + 1);
  }
  if (!host.empty()) u.host = std::string(host);
  if (!port.empty()) {
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), u.port);
    if (ec != std::errc() || end != port.data() + port.size() || u.port < 1 || u.port > 65535)
      return bad("bad port");
  }
  return u;
}

struct ReplyFree {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyFree>;
struct ContextFree {
  void operator()(redisContext* c) const { redisFree(c); }
};
using Connection = std::unique_ptr<redisContext, ContextFree>;

class RedisStore final : public Store {
 public:
  RedisStore(std::string label, Limits limits, Url url) : Store(std::move(label), limits), url_(std::move(url)) {}

  Result<std::optional<std::string>> get(const std::string& key) override {
    WITSERVE_ASSIGN_OR_RETURN(Reply r, command({"GET", key}));
    if (r->type == REDIS_REPLY_NIL) return std::optional<std::string>();
    if (r->type != REDIS_REPLY_STRING) return unexpected("GET", r.get());
    return std::optional<std::string>(std::string(r->str, r->len));
  }

  Status set(const std::string& key, const std::string& value) override {
    WITSERVE_ASSIGN_OR_RETURN(Reply r, command({"SET", key, value}));
    (void)r;
    return ok();
  }

  Status remove(const std::string& key) override {
    WITSERVE_ASSIGN_OR_RETURN(Reply r, command({"DEL", key}));
    (void)r;
    return ok();
  }

  Result<bool> exists(const std::string& key) override {
    WITSERVE_ASSIGN_OR_RETURN(Reply r, command({"EXISTS", key}));
    if (r->type != REDIS_REPLY_INTEGER) return unexpected("EXISTS", r.get());
    return r->integer > 0;
  }

  Result<KeyPage> list_keys(const std::optional<std::string>& cursor) override {
    std::string c = cursor.value_or("0");
    uint64_t n;
    auto [end, ec] = std::from_chars(c.data(), c.data() + c.size(), n);
    if (ec != std::errc() || end != c.data() + c.size() || c.empty() || (cursor && n == 0))
      return Error(ErrorKind::kInvalidArgument, "'" + c + "' is not a cursor this store gave");
    WITSERVE_ASSIGN_OR_RETURN(Reply r, command({"SCAN", c, "COUNT", "1000"}));
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 || r->element[0]->type != REDIS_REPLY_STRING ||
        r->element[1]->type != REDIS_REPLY_ARRAY)
      return unexpected("SCAN", r.get());
    KeyPage page;
    std::string next(r->element[0]->str, r->element[0]->len);
    if (next != "0") page.cursor = next;
    for (size_t i = 0; i < r->element[1]->elements; ++i) {
      redisReply* k = r->element[1]->element[i];
      if (k->type == REDIS_REPLY_STRING) page.keys.emplace_back(k->str, k->len);
    }
    return page;
  }

  Result<int64_t> increment(const std::string& key, int64_t delta) override {
    WITSERVE_ASSIGN_OR_RETURN(Reply r, command({"INCRBY", key, std::to_string(delta)}));
    if (r->type != REDIS_REPLY_INTEGER) return unexpected("INCRBY", r.get());
    return int64_t(r->integer);
  }

  Result<bool> compare_and_swap(const std::string& key, const std::optional<std::string>& expected,
                                const std::string& value) override {
    WITSERVE_ASSIGN_OR_RETURN(
        Reply r, command({"EVAL", kCasScript, "1", key, value, expected ? "1" : "0", expected.value_or("")}));
    if (r->type != REDIS_REPLY_INTEGER) return unexpected("EVAL", r.get());
    return r->integer == 1;
  }

  Result<std::vector<std::optional<std::string>>> get_many(const std::vector<std::string>& keys) override {
    std::vector<std::optional<std::string>> out;
    if (keys.empty()) return out;
    std::vector<std::string> argv{"MGET"};
    argv.insert(argv.end(), keys.begin(), keys.end());
    WITSERVE_ASSIGN_OR_RETURN(Reply r, command(argv));
    if (r->type != REDIS_REPLY_ARRAY || r->elements != keys.size()) return unexpected("MGET", r.get());
    for (size_t i = 0; i < r->elements; ++i) {
      redisReply* e = r->element[i];
      if (e->type == REDIS_REPLY_STRING) out.emplace_back(std::string(e->str, e->len));
      else out.emplace_back();
    }
    return out;
  }

  Status set_many(const std::vector<std::pair<std::string, std::string>>& entries) override {
    if (entries.empty()) return ok();
    std::vector<std::string> argv{"MSET"};
    for (const auto& [k, v] : entries) {
      argv.push_back(k);
      argv.push_back(v);
    }
    WITSERVE_ASSIGN_OR_RETURN(Reply r, command(argv));
    (void)r;
    return ok();
  }

  Status remove_many(const std::vector<std::string>& keys) override {
    if (keys.empty()) return ok();
    std::vector<std::string> argv{"DEL"};
    argv.insert(argv.end(), keys.begin(), keys.end());
    WITSERVE_ASSIGN_OR_RETURN(Reply r, command(argv));
    (void)r;
    return ok();
  }

 private:
  Error io(const std::string& what) const {
    return Error(ErrorKind::kIo, "key-value store '" + label() + "' (Redis " + url_.host + ":" +
                                     std::to_string(url_.port) + "): " + what);
  }
  Error unexpected(const char* cmd, const redisReply* r) const {
    return io(std::string("unexpected reply to ") + cmd + " (type " + std::to_string(r->type) + ")");
  }

  Result<Connection> connect() {
    Connection c(redisConnectWithTimeout(url_.host.c_str(), url_.port, kConnectTimeout));
    if (!c) return io("cannot allocate a connection");
    if (c->err) return io(std::string("cannot connect: ") + c->errstr);
    redisSetTimeout(c.get(), kCommandTimeout);
    auto setup = [&](std::vector<std::string> argv) -> Status {
      WITSERVE_ASSIGN_OR_RETURN(Reply r, run(c.get(), argv));
      (void)r;
      return ok();
    };
    if (!url_.password.empty()) {
      if (url_.user.empty()) WITSERVE_TRY(setup({"AUTH", url_.password}));
      else WITSERVE_TRY(setup({"AUTH", url_.user, url_.password}));
    }
    if (url_.db != 0) WITSERVE_TRY(setup({"SELECT", std::to_string(url_.db)}));
    return c;
  }

  // One command on `c`; an error reply is kInvalidArgument for a value Redis cannot use (INCRBY
  // on text), kIo otherwise.
  Result<Reply> run(redisContext* c, const std::vector<std::string>& argv) {
    std::vector<const char*> ptrs;
    std::vector<size_t> lens;
    for (const auto& a : argv) {
      ptrs.push_back(a.data());
      lens.push_back(a.size());
    }
    Reply r(static_cast<redisReply*>(redisCommandArgv(c, int(argv.size()), ptrs.data(), lens.data())));
    if (!r) return io(argv[0] + ": " + (c->err ? c->errstr : "no reply"));
    if (r->type == REDIS_REPLY_ERROR) {
      std::string msg(r->str, r->len);
      if (msg.find("not an integer") != std::string::npos || msg.find("overflow") != std::string::npos)
        return Error(ErrorKind::kInvalidArgument, "the value is not a decimal 64-bit integer, or the increment overflows (" + msg + ")");
      return io(argv[0] + ": " + msg);
    }
    return r;
  }

  Result<Reply> command(const std::vector<std::string>& argv) {
    Connection c;
    {
      std::lock_guard lock(mu_);
      if (!idle_.empty()) {
        c = std::move(idle_.back());
        idle_.pop_back();
      }
    }
    if (!c) { WITSERVE_ASSIGN_OR_RETURN(c, connect()); }
    Result<Reply> r = run(c.get(), argv);
    if (c->err == 0) {  // still usable (an error reply leaves it usable)
      std::lock_guard lock(mu_);
      if (idle_.size() < kMaxIdle) idle_.push_back(std::move(c));
    }
    return r;
  }

  Url url_;
  std::mutex mu_;
  std::vector<Connection> idle_;
};

}  // namespace

Result<std::shared_ptr<Store>> open_redis_store(const std::string& label, const StoreOptions& options) {
  WITSERVE_ASSIGN_OR_RETURN(Url url, parse_url(options.url));
  return std::shared_ptr<Store>(std::make_shared<RedisStore>(label, options.limits, std::move(url)));
}

}  // namespace witserve::kv
