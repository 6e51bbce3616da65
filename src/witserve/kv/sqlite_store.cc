// The SQLite backend of a key-value store (store.h): one database file per label, normally in the
// data directory (DATA/key-value/LABEL.sqlite), so values survive a restart; Debian's libsqlite3.
//
// Threads: one connection per store, used under a mutex by any worker thread. Other processes may
// open the same file: WAL mode, a busy timeout, and increment / compare-and-swap in BEGIN
// IMMEDIATE transactions keep them atomic across processes too.
#include <sqlite3.h>

#include <mutex>

#include "witserve/kv/store.h"

namespace witserve::kv {
namespace {

constexpr size_t kPage = 1000;  // keys per list_keys page

class Statement {
 public:
  Statement() = default;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement() { sqlite3_finalize(s_); }
  sqlite3_stmt** out() { return &s_; }
  sqlite3_stmt* get() const { return s_; }

 private:
  sqlite3_stmt* s_ = nullptr;
};

// Resets a prepared statement when a use of it ends, however it ends.
class Use {
 public:
  explicit Use(const Statement& s) : s_(s.get()) {}
  ~Use() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  sqlite3_stmt* operator*() const { return s_; }

 private:
  sqlite3_stmt* s_;
};

class SqliteStore final : public Store {
 public:
  SqliteStore(std::string label, Limits limits) : Store(std::move(label), limits) {}

  Status open(const std::filesystem::path& file) {
    std::error_code ec;
    std::filesystem::create_directories(file.parent_path(), ec);
    if (ec) return Error(ErrorKind::kIo, "cannot create " + file.parent_path().string() + ": " + ec.message());
    int rc = sqlite3_open_v2(file.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             nullptr);
    if (rc != SQLITE_OK) return fail("open " + file.string());
    sqlite3_busy_timeout(db_, 5000);
    for (const char* sql : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL",
                            "CREATE TABLE IF NOT EXISTS kv (id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, "
                            "value BLOB NOT NULL)"}) {
      if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) return fail(file.string() + ": " + sql);
    }
    struct {
      Statement* s;
      const char* sql;
    } statements[] = {
        {&get_, "SELECT value FROM kv WHERE key = ?1"},
        {&set_, "INSERT INTO kv (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value"},
        {&del_, "DELETE FROM kv WHERE key = ?1"},
        {&exists_, "SELECT 1 FROM kv WHERE key = ?1"},
        {&list_, "SELECT id, key FROM kv WHERE id > ?1 ORDER BY id LIMIT ?2"},
        {&begin_, "BEGIN IMMEDIATE"},
        {&commit_, "COMMIT"},
        {&rollback_, "ROLLBACK"},
    };
    for (auto& [s, sql] : statements)
      if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, s->out(), nullptr) != SQLITE_OK)
        return fail(std::string("prepare ") + sql);
    return ok();
  }

  Result<std::optional<std::string>> get(const std::string& key) override {
    std::lock_guard lock(mu_);
    return get_locked(key);
  }

  Status set(const std::string& key, const std::string& value) override {
    std::lock_guard lock(mu_);
    return set_locked(key, value);
  }

  Status remove(const std::string& key) override {
    std::lock_guard lock(mu_);
    return remove_locked(key);
  }

  Result<bool> exists(const std::string& key) override {
    std::lock_guard lock(mu_);
    Use q(exists_);
    bind_text(*q, 1, key);
    int rc = sqlite3_step(*q);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return fail("exists");
  }

  Result<KeyPage> list_keys(const std::optional<std::string>& cursor) override {
    int64_t after = 0;
    if (cursor) {
      auto n = parse_counter("cursor", *cursor);
      if (!n.ok() || *n < 0) return Error(ErrorKind::kInvalidArgument, "'" + *cursor + "' is not a cursor this store gave");
      after = *n;
    }
    std::lock_guard lock(mu_);
    Use q(list_);
    sqlite3_bind_int64(*q, 1, after);
    sqlite3_bind_int64(*q, 2, int64_t(kPage));
    KeyPage page;
    int64_t last = after;
    int rc;
    while ((rc = sqlite3_step(*q)) == SQLITE_ROW) {
      last = sqlite3_column_int64(*q, 0);
      page.keys.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(*q, 1)), size_t(sqlite3_column_bytes(*q, 1)));
    }
    if (rc != SQLITE_DONE) return fail("list keys");
    if (page.keys.size() == kPage) page.cursor = std::to_string(last);
    return page;
  }

  Result<int64_t> increment(const std::string& key, int64_t delta) override {
    std::lock_guard lock(mu_);
    return transaction<int64_t>([&]() -> Result<int64_t> {
      WITSERVE_ASSIGN_OR_RETURN(auto current, get_locked(key));
      int64_t n = 0;
      if (current) { WITSERVE_ASSIGN_OR_RETURN(n, parse_counter(key, *current)); }
      WITSERVE_ASSIGN_OR_RETURN(int64_t sum, add_counter(key, n, delta));
      WITSERVE_TRY(set_locked(key, std::to_string(sum)));
      return sum;
    });
  }

  Result<bool> compare_and_swap(const std::string& key, const std::optional<std::string>& expected,
                                const std::string& value) override {
    std::lock_guard lock(mu_);
    return transaction<bool>([&]() -> Result<bool> {
      WITSERVE_ASSIGN_OR_RETURN(auto current, get_locked(key));
      if (current != expected) return false;
      WITSERVE_TRY(set_locked(key, value));
      return true;
    });
  }

  Status set_many(const std::vector<std::pair<std::string, std::string>>& entries) override {
    std::lock_guard lock(mu_);
    auto r = transaction<bool>([&]() -> Result<bool> {
      for (const auto& [k, v] : entries) WITSERVE_TRY(set_locked(k, v));
      return true;
    });
    if (!r.ok()) return std::move(r).error();
    return ok();
  }

  Status remove_many(const std::vector<std::string>& keys) override {
    std::lock_guard lock(mu_);
    auto r = transaction<bool>([&]() -> Result<bool> {
      for (const auto& k : keys) WITSERVE_TRY(remove_locked(k));
      return true;
    });
    if (!r.ok()) return std::move(r).error();
    return ok();
  }

 private:
  Error fail(const std::string& what) const {
    return Error(ErrorKind::kIo, "key-value store '" + label() + "' (SQLite): " + what + ": " +
                                     (db_ ? sqlite3_errmsg(db_) : "out of memory"));
  }
  static void bind_text(sqlite3_stmt* s, int i, const std::string& t) {
    sqlite3_bind_text(s, i, t.data(), int(t.size()), SQLITE_STATIC);
  }

  Result<std::optional<std::string>> get_locked(const std::string& key) {
    Use q(get_);
    bind_text(*q, 1, key);
    int rc = sqlite3_step(*q);
    if (rc == SQLITE_DONE) return std::optional<std::string>();
    if (rc != SQLITE_ROW) return fail("get");
    const void* data = sqlite3_column_blob(*q, 0);
    size_t n = size_t(sqlite3_column_bytes(*q, 0));
    return std::optional<std::string>(std::string(data ? static_cast<const char*>(data) : "", n));
  }

  Status set_locked(const std::string& key, const std::string& value) {
    Use q(set_);
    bind_text(*q, 1, key);
    sqlite3_bind_blob(*q, 2, value.data(), int(value.size()), SQLITE_STATIC);
    if (sqlite3_step(*q) != SQLITE_DONE) return fail("set");
    return ok();
  }

  Status remove_locked(const std::string& key) {
    Use q(del_);
    bind_text(*q, 1, key);
    if (sqlite3_step(*q) != SQLITE_DONE) return fail("delete");
    return ok();
  }

  Status step(const Statement& s, const char* what) {
    Use q(s);
    if (sqlite3_step(*q) != SQLITE_DONE) return fail(what);
    return ok();
  }

  // Runs `body` in a BEGIN IMMEDIATE transaction (the database's write lock, across processes):
  // committed if it succeeds, rolled back if not.
  template <typename T, typename F>
  Result<T> transaction(F&& body) {
    WITSERVE_TRY(step(begin_, "begin"));
    Result<T> r = body();
    if (!r.ok()) {
      (void)step(rollback_, "rollback");
      return r;
    }
    if (Status s = step(commit_, "commit"); !s.ok()) {
      (void)step(rollback_, "rollback");
      return std::move(s).error();
    }
    return r;
  }

  // The connection, closed after the statements (members are destroyed in reverse order, and
  // sqlite3_close refuses while a statement is alive).
  struct Db {
    sqlite3* p = nullptr;
    ~Db() { sqlite3_close(p); }
  };
  std::mutex mu_;
  Db db_holder_;
  sqlite3*& db_ = db_holder_.p;
  Statement get_, set_, del_, exists_, list_, begin_, commit_, rollback_;
};

}  // namespace

Result<std::shared_ptr<Store>> open_sqlite_store(const std::string& label, const StoreOptions& options) {
  auto s = std::make_shared<SqliteStore>(label, options.limits);
  if (Status st = s->open(options.path); !st.ok()) return std::move(st).error();
  return std::shared_ptr<Store>(std::move(s));
}

}  // namespace witserve::kv
