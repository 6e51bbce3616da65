// wasi:filesystem (types, preopens) over the route's granted directories. Every path a guest
// names is resolved by the kernel beneath a descriptor it holds (openat2 with RESOLVE_BENEATH and
// no magic links), so neither "..", an absolute path nor a symlink can leave a granted
// directory; a read-only grant refuses every change with `read-only`.
#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "witserve/base/log.h"

#include "witserve/wasi/io.h"
#include "witserve/wasi/values.h"
#include "witserve/wasi/wasi.h"

namespace witserve::wasi {
namespace {

constexpr std::string_view kTypes = "wasi:filesystem/types@0.2.0";

struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  ~Fd() { if (fd >= 0) ::close(fd); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
};

class Descriptor : public Object {
 public:
  Descriptor(std::shared_ptr<Fd> fd, bool dir, bool can_write, bool tree_writable)
      : fd(std::move(fd)), is_dir(dir), can_write(can_write), tree_writable(tree_writable) {}
  std::shared_ptr<Fd> fd;
  bool is_dir;
  bool can_write;      // this descriptor was opened for writing
  bool tree_writable;  // the grant it comes from allows changes
};

class DirEntries : public Object {
 public:
  std::vector<std::pair<std::string, std::string>> entries;  // type label, name
  size_t next = 0;
};

class FileInput : public InputStream {
 public:
  FileInput(std::shared_ptr<Fd> fd, uint64_t offset) : fd_(std::move(fd)), offset_(offset) {}
  Result<StreamStatus> read(WasiContext&, uint64_t n, bool, std::vector<uint8_t>& out) override {
    size_t at = out.size();
    out.resize(at + n);
    ssize_t r = ::pread(fd_->fd, out.data() + at, n, off_t(offset_));
    if (r < 0) { out.resize(at); return StreamStatus::failed(std::strerror(errno)); }
    out.resize(at + size_t(r));
    if (r == 0 && n > 0) return StreamStatus::closed();
    offset_ += uint64_t(r);
    return StreamStatus{};
  }

 private:
  std::shared_ptr<Fd> fd_;
  uint64_t offset_;
};

class FileOutput : public OutputStream {
 public:
  FileOutput(std::shared_ptr<Fd> fd, std::optional<uint64_t> offset) : fd_(std::move(fd)), offset_(offset) {}
  Result<StreamStatus> write(WasiContext&, std::span<const uint8_t> data) override {
    size_t done = 0;
    while (done < data.size()) {
      uint64_t at = offset_ ? *offset_ : 0;
      if (!offset_) {  // append
        struct stat st;
        if (::fstat(fd_->fd, &st) != 0) return StreamStatus::failed(std::strerror(errno));
        at = uint64_t(st.st_size);
      }
      ssize_t r = ::pwrite(fd_->fd, data.data() + done, data.size() - done, off_t(at));
      if (r < 0) return StreamStatus::failed(std::strerror(errno));
      done += size_t(r);
      if (offset_) *offset_ += uint64_t(r);
    }
    return StreamStatus{};
  }

 private:
  std::shared_ptr<Fd> fd_;
  std::optional<uint64_t> offset_;  // none: append
};

std::string_view error_name(int e) {
  switch (e) {
    case EACCES: return "access";
    case EAGAIN: return "would-block";
    case EALREADY: return "already";
    case EBADF: return "bad-descriptor";
    case EBUSY: return "busy";
    case EDEADLK: return "deadlock";
    case EDQUOT: return "quota";
    case EEXIST: return "exist";
    case EFBIG: return "file-too-large";
    case EILSEQ: return "illegal-byte-sequence";
    case EINPROGRESS: return "in-progress";
    case EINTR: return "interrupted";
    case EINVAL: return "invalid";
    case EISDIR: return "is-directory";
    case ELOOP: return "loop";
    case EMLINK: return "too-many-links";
    case EMSGSIZE: return "message-size";
    case ENAMETOOLONG: return "name-too-long";
    case ENODEV: return "no-device";
    case ENOENT: return "no-entry";
    case ENOLCK: return "no-lock";
    case ENOMEM: return "insufficient-memory";
    case ENOSPC: return "insufficient-space";
    case ENOTDIR: return "not-directory";
    case ENOTEMPTY: return "not-empty";
    case ENOTRECOVERABLE: return "not-recoverable";
    case ENOSYS: case EOPNOTSUPP: return "unsupported";
    case ENOTTY: return "no-tty";
    case ENXIO: return "no-such-device";
    case EOVERFLOW: return "overflow";
    case EPERM: case EXDEV: return "not-permitted";  // EXDEV: the path would leave the directory
    case EPIPE: return "pipe";
    case EROFS: return "read-only";
    case ESPIPE: return "invalid-seek";
    case ETXTBSY: return "text-file-busy";
    default: return "io";
  }
}

// err(error-code `name`) for a function whose result type is `rt`.
HostResult fs_error(TypeRef rt, std::string_view name) {
  WITSERVE_ASSIGN_OR_RETURN(Value e, variant_case(err_type(rt), name));
  return give(Value::err(std::move(e)));
}
HostResult errno_error(TypeRef rt, int e = errno) { return fs_error(rt, error_name(e)); }

std::string_view type_label(mode_t m) {
  if (S_ISDIR(m)) return "directory";
  if (S_ISREG(m)) return "regular-file";
  if (S_ISLNK(m)) return "symbolic-link";
  if (S_ISCHR(m)) return "character-device";
  if (S_ISBLK(m)) return "block-device";
  if (S_ISFIFO(m)) return "fifo";
  if (S_ISSOCK(m)) return "socket";
  return "unknown";
}

Result<Descriptor*> descriptor(WasiContext& c, const Args& a, size_t i = 0) {
  WITSERVE_ASSIGN_OR_RETURN(uint32_t rep, a.rep(i));
  return c.table().get<Descriptor>(rep);
}

// openat2 beneath `dir`: the kernel refuses any path that would leave it.
int open_beneath(int dir, const std::string& path, uint64_t flags, uint64_t mode) {
  struct open_how how {};
  how.flags = flags | O_CLOEXEC;
  how.mode = (flags & O_CREAT) ? mode : 0;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  return int(::syscall(SYS_openat2, dir, path.c_str(), &how, sizeof how));
}

// Splits "a/b/c" into the directory "a/b" (opened beneath `dir`) and the last name "c", for the
// *at calls that act on a name: unlink, mkdir, rename, readlink.
struct Parent {
  std::shared_ptr<Fd> dir;
  std::string name;
  int error = 0;
};
Parent parent_of(int dir, const std::string& path) {
  Parent p;
  std::string trimmed = path;
  while (trimmed.size() > 1 && trimmed.back() == '/') trimmed.pop_back();
  auto slash = trimmed.rfind('/');
  std::string head = slash == std::string::npos ? "." : trimmed.substr(0, slash == 0 ? 1 : slash);
  p.name = slash == std::string::npos ? trimmed : trimmed.substr(slash + 1);
  if (p.name.empty() || p.name == "." || p.name == ".." || trimmed.starts_with('/')) { p.error = EPERM; return p; }
  int fd = open_beneath(dir, head, O_PATH | O_DIRECTORY, 0);
  if (fd < 0) { p.error = errno; return p; }
  p.dir = std::make_shared<Fd>(fd);
  return p;
}

Value datetime(TypeRef, const struct timespec& ts) {
  return Value::some(Value::record({Value::u64(uint64_t(ts.tv_sec)), Value::u32(uint32_t(ts.tv_nsec))}));
}

HostResult stat_result(TypeRef rt, const struct stat& st) {
  TypeRef rec = ok_type(rt);
  if (!rec || rec->kind != TypeKind::kRecord || rec->fields.empty()) return wasi_trap("stat: unexpected result type");
  WITSERVE_ASSIGN_OR_RETURN(Value type, variant_case(rec->fields[0].type, type_label(st.st_mode)));
  return give(Value::ok(Value::record({type, Value::u64(st.st_nlink), Value::u64(uint64_t(st.st_size)),
                                       datetime(nullptr, st.st_atim), datetime(nullptr, st.st_mtim),
                                       datetime(nullptr, st.st_ctim)})));
}

bool flag(const Value& flags, TypeRef t, std::string_view name) {
  int i = case_index(t, name);
  return i >= 0 && (flags.flag_bits() >> i) & 1;
}

// stat-at and metadata-hash-at: (path-flags, path) of `a` beneath `d`; 0 or the errno.
Result<int> stat_at(const Descriptor& d, const Args& a, struct stat& st) {
  WITSERVE_ASSIGN_OR_RETURN(std::string path, a.str(2));
  bool follow = flag(a[1], a.param(1), "symlink-follow");
  int fd = open_beneath(d.fd->fd, path, O_PATH | (follow ? 0 : O_NOFOLLOW), 0);
  if (fd < 0) return errno;
  Fd hold(fd);
  return ::fstat(fd, &st) == 0 ? 0 : errno;
}

}  // namespace

void add_filesystem(component::Linker& l) {
  define_resource(l, kTypes, "descriptor");
  define_resource(l, kTypes, "directory-entry-stream");

  define(l, "wasi:filesystem/preopens@0.2.0", "get-directories", [](WasiContext& c, const Args&) -> HostResult {
    std::vector<Value> dirs;
    for (const auto& g : c.grants().dirs) {
      int fd = ::open(g.host.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (fd < 0) {
        spdlog::warn("[{}] directory {} for {} cannot be opened: {}", c.grants().route, g.host.string(), g.guest,
                     std::strerror(errno));
        continue;
      }
      dirs.push_back(Value::tuple({own(c, std::make_unique<Descriptor>(std::make_shared<Fd>(fd), true, false, g.writable)),
                                   string_value(g.guest)}));
    }
    return give(Value::list(std::move(dirs)));
  });

  define(l, kTypes, "[method]descriptor.read-via-stream", [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_ASSIGN_OR_RETURN(Descriptor * d, descriptor(c, a));
    WITSERVE_ASSIGN_OR_RETURN(uint64_t off, a.u64(1));
    if (d->is_dir) return fs_error(a.type().result, "is-directory");
    return give(Value::ok(own(c, std::make_unique<FileInput>(d->fd, off))));
  });
  auto writer = [](bool append) {
    return [append](WasiContext& c, const Args& a) -> HostResult {
      WITSERVE_ASSIGN_OR_RETURN(Descriptor * d, descriptor(c, a));
      if (d->is_dir) return fs_error(a.type().result, "is-directory");
      if (!d->tree_writable) return fs_error(a.type().result, "read-only");
      if (!d->can_write) return fs_error(a.type().result, "bad-descriptor");
      std::optional<uint64_t> off;
      if (!append) { WITSERVE_ASSIGN_OR_RETURN(off, a.u64(1)); }
      return give(Value::ok(own(c, std::make_unique<FileOutput>(d->fd, off))));
    };
  };
  define(l, kTypes, "[method]descriptor.write-via-stream", writer(false));
  define(l, kTypes, "[method]descriptor.append-via-stream", writer(true));
  auto nothing_to_do = [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_TRY(descriptor(c, a));
    return give(Value::ok());
  };
  define(l, kTypes, "[method]descriptor.advise", nothing_to_do);
  define(l, kTypes, "[method]descriptor.sync-data", nothing_to_do);
  define(l, kTypes, "[method]descriptor.sync", nothing_to_do);
  define(l, kTypes, "[method]descriptor.get-flags", [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_ASSIGN_OR_RETURN(Descriptor * d, descriptor(c, a));
    TypeRef ft = ok_type(a.type().result);
    uint32_t bits = 0;
    auto set = [&](std::string_view n) { if (int i = case_index(ft, n); i >= 0) bits |= 1u << i; };
    set("read");
    if (d->can_write) set("write");
    if (d->is_dir && d->tree_writable) set("mutate-directory");
    return give(Value::ok(Value::flags(bits)));
  });
  define(l, kTypes, "[method]descriptor.get-type", [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_ASSIGN_OR_RETURN(Descriptor * d, descriptor(c, a));
    struct stat st;
    if (::fstat(d->fd->fd, &st) != 0) return errno_error(a.type().result);
    WITSERVE_ASSIGN_OR_RETURN(Value t, variant_case(ok_type(a.type().result), type_label(st.st_mode)));
    return give(Value::ok(t));
  });
  define(l, kTypes, "[method]descriptor.set-size", [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_ASSIGN_OR_RETURN(Descriptor * d, descriptor(c, a));
    WITSERVE_ASSIGN_OR_RETURN(uint64_t size, a.u64(1));
    if (!d->tree_writable) return fs_error(a.type().result, "read-only");
    if (!d->can_write) return fs_error(a.type().result, "bad-descriptor");
    if (::ftruncate(d->fd->fd, off_t(size)) != 0) return errno_error(a.type().result);
    return give(Value::ok());
  });
  define(l, kTypes, "[method]descriptor.read", [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_ASSIGN_OR_RETURN(Descriptor * d, descriptor(c, a));
    WITSERVE_ASSIGN_OR_RETURN(uint64_t len, a.u64(1));
    WITSERVE_ASSIGN_OR_RETURN(uint64_t off, a.u64(2));
    std::vector<uint8_t> buf(size_t(std::min<uint64_t>(len, 64 * 1024)));
    ssize_t r = ::pread(d->fd->fd, buf.data(), buf.size(), off_t(off));
    if (r < 0) return errno_error(a.type().result);
    buf.resize(size_t(r));
    return give(Value::ok(Value::tuple({bytes_value(buf), Value::boolean(r == 0 && len > 0)})));
  });
  define(l, kTypes, "[method]descriptor.write", [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_ASSIGN_OR_RETURN(Descriptor * d, descriptor(c, a));
    std::string store;
    WITSERVE_ASSIGN_OR_RETURN(auto data, a.bytes(1, store));
    WITSERVE_ASSIGN_OR_RETURN(uint64_t off, a.u64(2));
    if (!d->tree_writable) return fs_error(a.type().result, "read-only");
    if (!d->can_write) return fs_error(a.type().result, "bad-descriptor");
    ssize_t r = ::pwrite(d->fd->fd, data.data(), data.size(), off_t(off));
    if (r < 0) return errno_error(a.type().result);
    return give(Value::ok(Value::u64(uint64_t(r))));
  });
  define(l, kTypes, "[method]descriptor.read-directory", [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_ASSIGN_OR_RETURN(Descriptor * d, descriptor(c, a));
    if (!d->is_dir) return fs_error(a.type().result, "not-directory");
    int fd = open_beneath(d->fd->fd, ".", O_RDONLY | O_DIRECTORY, 0);
    if (fd < 0) return errno_error(a.type().result);
    DIR* dir = ::fdopendir(fd);
    if (!dir) { int e = errno; ::close(fd); return errno_error(a.type().result, e); }
    auto entries = std::make_unique<DirEntries>();
    while (struct dirent* e = ::readdir(dir)) {
      std::string name = e->d_name;
      if (name == "." || name == "..") continue;
      struct stat st;
      std::string_view type = ::fstatat(::dirfd(dir), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 ? type_label(st.st_mode) : "unknown";
      entries->entries.emplace_back(std::string(type), std::move(name));
    }
    ::closedir(dir);
    std::sort(entries->entries.begin(), entries->entries.end(),
              [](const auto& x, const auto& y) { return x.second < y.second; });
    return give(Value::ok(own(c, std::move(entries))));
  });
  define(l, kTypes, "[method]directory-entry-stream.read-directory-entry", [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_ASSIGN_OR_RETURN(uint32_t rep, a.rep(0));
    WITSERVE_ASSIGN_OR_RETURN(DirEntries * d, c.table().get<DirEntries>(rep));
    if (d->next >= d->entries.size()) return give(Value::ok(Value::none()));
    const auto& [type, name] = d->entries[d->next++];
    TypeRef rec = case_payload(ok_type(a.type().result), 1);  // option<directory-entry>: some
    if (!rec || rec->fields.size() != 2) return wasi_trap("read-directory-entry: unexpected result type");
    WITSERVE_ASSIGN_OR_RETURN(Value t, variant_case(rec->fields[0].type, type));
    return give(Value::ok(Value::some(Value::record({t, string_value(name)}))));
  });
  define(l, kTypes, "[method]descriptor.stat", [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_ASSIGN_OR_RETURN(Descriptor * d, descriptor(c, a));
    struct stat st;
    if (::fstat(d->fd->fd, &st) != 0) return errno_error(a.type().result);
    return stat_result(a.type().result, st);
  });
  define(l, kTypes, "[method]descriptor.stat-at", [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_ASSIGN_OR_RETURN(Descriptor * d, descriptor(c, a));
    struct stat st;
    WITSERVE_ASSIGN_OR_RETURN(int err, stat_at(*d, a, st));
    if (err) return errno_error(a.type().result, err);
    return stat_result(a.type().result, st);
  });
  define(l, kTypes, "[method]descriptor.open-at", [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_ASSIGN_OR_RETURN(Descriptor * d, descriptor(c, a));
    WITSERVE_ASSIGN_OR_RETURN(std::string path, a.str(2));
    TypeRef rt = a.type().result;
    if (!d->is_dir) return fs_error(rt, "not-directory");
    bool follow = flag(a[1], a.param(1), "symlink-follow");
    bool create = flag(a[3], a.param(3), "create"), want_dir = flag(a[3], a.param(3), "directory"),
         excl = flag(a[3], a.param(3), "exclusive"), trunc = flag(a[3], a.param(3), "truncate");
    bool write = flag(a[4], a.param(4), "write"), mutate = flag(a[4], a.param(4), "mutate-directory");
    if ((create || trunc || write || mutate) && !d->tree_writable) return fs_error(rt, "read-only");
    uint64_t flags = (write ? O_RDWR : O_RDONLY) | (create ? O_CREAT : 0) | (excl ? O_EXCL : 0) |
                     (trunc ? O_TRUNC : 0) | (want_dir ? O_DIRECTORY : 0) | (follow ? 0 : O_NOFOLLOW);
    int fd = open_beneath(d->fd->fd, path, flags, 0644);
    if (fd < 0 && errno == EISDIR && !write) fd = open_beneath(d->fd->fd, path, O_RDONLY | O_DIRECTORY, 0);
    if (fd < 0) return errno_error(rt);
    auto hold = std::make_shared<Fd>(fd);
    struct stat st;
    if (::fstat(fd, &st) != 0) return errno_error(rt);
    return give(Value::ok(own(c, std::make_unique<Descriptor>(hold, S_ISDIR(st.st_mode), write, d->tree_writable))));
  });
  define(l, kTypes, "[method]descriptor.readlink-at", [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_ASSIGN_OR_RETURN(Descriptor * d, descriptor(c, a));
    WITSERVE_ASSIGN_OR_RETURN(std::string path, a.str(1));
    Parent p = parent_of(d->fd->fd, path);
    if (p.error) return errno_error(a.type().result, p.error);
    char buf[4096];
    ssize_t n = ::readlinkat(p.dir->fd, p.name.c_str(), buf, sizeof buf);
    if (n < 0) return errno_error(a.type().result);
    return give(Value::ok(string_value(std::string_view(buf, size_t(n)))));
  });
  auto at_call = [](auto op) {
    return [op](WasiContext& c, const Args& a) -> HostResult {
      WITSERVE_ASSIGN_OR_RETURN(Descriptor * d, descriptor(c, a));
      WITSERVE_ASSIGN_OR_RETURN(std::string path, a.str(1));
      if (!d->tree_writable) return fs_error(a.type().result, "read-only");
      Parent p = parent_of(d->fd->fd, path);
      if (p.error) return errno_error(a.type().result, p.error);
      if (op(p.dir->fd, p.name.c_str()) != 0) return errno_error(a.type().result);
      return give(Value::ok());
    };
  };
  define(l, kTypes, "[method]descriptor.create-directory-at",
         at_call([](int dir, const char* name) { return ::mkdirat(dir, name, 0755); }));
  define(l, kTypes, "[method]descriptor.unlink-file-at",
         at_call([](int dir, const char* name) { return ::unlinkat(dir, name, 0); }));
  define(l, kTypes, "[method]descriptor.remove-directory-at",
         at_call([](int dir, const char* name) { return ::unlinkat(dir, name, AT_REMOVEDIR); }));
  define(l, kTypes, "[method]descriptor.rename-at", [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_ASSIGN_OR_RETURN(Descriptor * d, descriptor(c, a));
    WITSERVE_ASSIGN_OR_RETURN(std::string from, a.str(1));
    WITSERVE_ASSIGN_OR_RETURN(Descriptor * to_dir, descriptor(c, a, 2));
    WITSERVE_ASSIGN_OR_RETURN(std::string to, a.str(3));
    if (!d->tree_writable || !to_dir->tree_writable) return fs_error(a.type().result, "read-only");
    Parent p = parent_of(d->fd->fd, from), q = parent_of(to_dir->fd->fd, to);
    if (p.error || q.error) return errno_error(a.type().result, p.error ? p.error : q.error);
    if (::renameat(p.dir->fd, p.name.c_str(), q.dir->fd, q.name.c_str()) != 0) return errno_error(a.type().result);
    return give(Value::ok());
  });
  auto not_permitted = [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_TRY(descriptor(c, a));
    return fs_error(a.type().result, "not-permitted");
  };
  define(l, kTypes, "[method]descriptor.symlink-at", not_permitted);
  define(l, kTypes, "[method]descriptor.link-at", not_permitted);
  define(l, kTypes, "[method]descriptor.set-times", not_permitted);
  define(l, kTypes, "[method]descriptor.set-times-at", not_permitted);
  define(l, kTypes, "[method]descriptor.is-same-object", [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_ASSIGN_OR_RETURN(Descriptor * x, descriptor(c, a));
    WITSERVE_ASSIGN_OR_RETURN(Descriptor * y, descriptor(c, a, 1));
    struct stat s1, s2;
    bool same = ::fstat(x->fd->fd, &s1) == 0 && ::fstat(y->fd->fd, &s2) == 0 && s1.st_dev == s2.st_dev && s1.st_ino == s2.st_ino;
    return give(Value::boolean(same));
  });
  auto hash = [](const struct stat& st) {
    return give(Value::ok(Value::record({Value::u64(uint64_t(st.st_ino)), Value::u64(uint64_t(st.st_dev))})));
  };
  define(l, kTypes, "[method]descriptor.metadata-hash", [hash](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_ASSIGN_OR_RETURN(Descriptor * d, descriptor(c, a));
    struct stat st;
    if (::fstat(d->fd->fd, &st) != 0) return errno_error(a.type().result);
    return hash(st);
  });
  define(l, kTypes, "[method]descriptor.metadata-hash-at", [hash](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_ASSIGN_OR_RETURN(Descriptor * d, descriptor(c, a));
    struct stat st;
    WITSERVE_ASSIGN_OR_RETURN(int err, stat_at(*d, a, st));
    if (err) return errno_error(a.type().result, err);
    return hash(st);
  });
  define(l, kTypes, "filesystem-error-code", [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_TRY(a.rep(0));
    (void)c;
    return give(Value::none());  // stream errors carry messages, not error codes
  });
}

}  // namespace witserve::wasi
