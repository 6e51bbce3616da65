// wasi:io/error, wasi:io/poll and wasi:io/streams over the objects of io.h.
#include "witserve/wasi/io.h"

#include <algorithm>

#include "witserve/wasi/values.h"

namespace witserve::wasi {

Result<StreamStatus> BufferInput::read(WasiContext&, uint64_t n, bool, std::vector<uint8_t>& out) {
  if (pos_ >= data_->size()) return n == 0 ? StreamStatus{} : StreamStatus::closed();
  size_t take = size_t(std::min<uint64_t>(n, data_->size() - pos_));
  out.insert(out.end(), data_->begin() + pos_, data_->begin() + pos_ + take);
  pos_ += take;
  return StreamStatus{};
}

namespace {

constexpr uint64_t kMaxRead = 64 * 1024;  // per call: keeps guest calls and host copies small

// result<T, stream-error> for the importer's result type `rt`.
HostResult stream_result(WasiContext& c, TypeRef rt, const StreamStatus& s, std::optional<Value> ok_value) {
  if (s.kind == StreamStatus::kOk) return give(Value::ok(std::move(ok_value)));
  TypeRef se = err_type(rt);
  Value e;
  if (s.kind == StreamStatus::kClosed) {
    WITSERVE_ASSIGN_OR_RETURN(e, variant_case(se, "closed"));
  } else {
    WITSERVE_ASSIGN_OR_RETURN(e, variant_case(se, "last-operation-failed", own(c, std::make_unique<IoError>(s.message))));
  }
  return give(Value::err(std::move(e)));
}

// Waits until one of `ps` is ready (or the deadline passes); returns the ready indices.
Result<std::vector<uint32_t>> wait_any(WasiContext& c, const std::vector<Pollable*>& ps) {
  for (;;) {
    std::vector<uint32_t> ready;
    std::optional<Clock::time_point> next;
    for (uint32_t i = 0; i < ps.size(); ++i) {
      if (ps[i]->ready()) ready.push_back(i);
      else if (auto at = ps[i]->at(); at && (!next || *at < *next)) next = at;
    }
    if (!ready.empty()) return ready;
    if (!next) return wasi_trap("poll: nothing to wait for");
    WITSERVE_TRY(c.sleep_until(*next));
  }
}

Result<InputStream*> input(WasiContext& c, const Args& a, size_t i = 0) {
  WITSERVE_ASSIGN_OR_RETURN(uint32_t rep, a.rep(i));
  return c.table().get<InputStream>(rep);
}
Result<OutputStream*> output(WasiContext& c, const Args& a, size_t i = 0) {
  WITSERVE_ASSIGN_OR_RETURN(uint32_t rep, a.rep(i));
  return c.table().get<OutputStream>(rep);
}

HostResult do_read(WasiContext& c, const Args& a, bool blocking) {
  WITSERVE_ASSIGN_OR_RETURN(InputStream * s, input(c, a));
  WITSERVE_ASSIGN_OR_RETURN(uint64_t n, a.u64(1));
  std::vector<uint8_t> data;
  WITSERVE_ASSIGN_OR_RETURN(StreamStatus st, s->read(c, std::min(n, kMaxRead), blocking, data));
  if (st.kind == StreamStatus::kOk) return give(Value::ok(bytes_value(data)));
  return stream_result(c, a.type().result, st, std::nullopt);
}

HostResult do_skip(WasiContext& c, const Args& a, bool blocking) {
  WITSERVE_ASSIGN_OR_RETURN(InputStream * s, input(c, a));
  WITSERVE_ASSIGN_OR_RETURN(uint64_t n, a.u64(1));
  std::vector<uint8_t> data;
  WITSERVE_ASSIGN_OR_RETURN(StreamStatus st, s->read(c, std::min(n, kMaxRead), blocking, data));
  return stream_result(c, a.type().result, st, Value::u64(data.size()));
}

HostResult do_write(WasiContext& c, const Args& a, std::span<const uint8_t> data, bool flush) {
  WITSERVE_ASSIGN_OR_RETURN(OutputStream * s, output(c, a));
  WITSERVE_ASSIGN_OR_RETURN(StreamStatus st, s->write(c, data));
  if (st.kind == StreamStatus::kOk && flush) { WITSERVE_ASSIGN_OR_RETURN(st, s->flush(c)); }
  return stream_result(c, a.type().result, st, std::nullopt);
}

HostResult do_splice(WasiContext& c, const Args& a, bool blocking) {
  WITSERVE_ASSIGN_OR_RETURN(OutputStream * out, output(c, a));
  WITSERVE_ASSIGN_OR_RETURN(InputStream * in, input(c, a, 1));
  WITSERVE_ASSIGN_OR_RETURN(uint64_t n, a.u64(2));
  std::vector<uint8_t> data;
  WITSERVE_ASSIGN_OR_RETURN(StreamStatus st, in->read(c, std::min({n, kMaxRead, out->check_write()}), blocking, data));
  if (st.kind == StreamStatus::kOk && !data.empty()) { WITSERVE_ASSIGN_OR_RETURN(st, out->write(c, data)); }
  return stream_result(c, a.type().result, st, Value::u64(data.size()));
}

}  // namespace

void add_io(component::Linker& l) {
  constexpr std::string_view kError = "wasi:io/error@0.2.0", kPoll = "wasi:io/poll@0.2.0",
                             kStreams = "wasi:io/streams@0.2.0";
  define_resource(l, kError, "error");
  define(l, kError, "[method]error.to-debug-string", [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_ASSIGN_OR_RETURN(uint32_t rep, a.rep(0));
    WITSERVE_ASSIGN_OR_RETURN(IoError * e, c.table().get<IoError>(rep));
    return give(string_value(e->message));
  });

  define_resource(l, kPoll, "pollable");
  define(l, kPoll, "[method]pollable.ready", [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_ASSIGN_OR_RETURN(uint32_t rep, a.rep(0));
    WITSERVE_ASSIGN_OR_RETURN(Pollable * p, c.table().get<Pollable>(rep));
    return give(Value::boolean(p->ready()));
  });
  define(l, kPoll, "[method]pollable.block", [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_ASSIGN_OR_RETURN(uint32_t rep, a.rep(0));
    WITSERVE_ASSIGN_OR_RETURN(Pollable * p, c.table().get<Pollable>(rep));
    WITSERVE_TRY(wait_any(c, {p}));
    return nothing();
  });
  define(l, kPoll, "poll", [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_ASSIGN_OR_RETURN(const Value* list, a.at(0, TypeKind::kList));
    if (list->items().empty()) return wasi_trap("poll: an empty list of pollables");
    std::vector<Pollable*> ps;
    for (const Value& h : list->items()) {
      WITSERVE_ASSIGN_OR_RETURN(Pollable * p, c.table().get<Pollable>(h.handle()));
      ps.push_back(p);
    }
    WITSERVE_ASSIGN_OR_RETURN(auto ready, wait_any(c, ps));
    std::vector<Value> out;
    for (uint32_t i : ready) out.push_back(Value::u32(i));
    return give(Value::list(std::move(out)));
  });

  define_resource(l, kStreams, "input-stream");
  define_resource(l, kStreams, "output-stream");
  define(l, kStreams, "[method]input-stream.read", [](WasiContext& c, const Args& a) { return do_read(c, a, false); });
  define(l, kStreams, "[method]input-stream.blocking-read", [](WasiContext& c, const Args& a) { return do_read(c, a, true); });
  define(l, kStreams, "[method]input-stream.skip", [](WasiContext& c, const Args& a) { return do_skip(c, a, false); });
  define(l, kStreams, "[method]input-stream.blocking-skip", [](WasiContext& c, const Args& a) { return do_skip(c, a, true); });
  auto ready_now = [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_TRY(a.rep(0));
    return give(own(c, std::make_unique<Pollable>()));
  };
  define(l, kStreams, "[method]input-stream.subscribe", ready_now);
  define(l, kStreams, "[method]output-stream.subscribe", ready_now);
  define(l, kStreams, "[method]output-stream.check-write", [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_ASSIGN_OR_RETURN(OutputStream * s, output(c, a));
    return give(Value::ok(Value::u64(s->check_write())));
  });
  define(l, kStreams, "[method]output-stream.write", [](WasiContext& c, const Args& a) -> HostResult {
    std::string store;
    WITSERVE_ASSIGN_OR_RETURN(auto data, a.bytes(1, store));
    return do_write(c, a, data, false);
  });
  define(l, kStreams, "[method]output-stream.blocking-write-and-flush", [](WasiContext& c, const Args& a) -> HostResult {
    std::string store;
    WITSERVE_ASSIGN_OR_RETURN(auto data, a.bytes(1, store));
    return do_write(c, a, data, true);
  });
  auto flush = [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_ASSIGN_OR_RETURN(OutputStream * s, output(c, a));
    WITSERVE_ASSIGN_OR_RETURN(StreamStatus st, s->flush(c));
    return stream_result(c, a.type().result, st, std::nullopt);
  };
  define(l, kStreams, "[method]output-stream.flush", flush);
  define(l, kStreams, "[method]output-stream.blocking-flush", flush);
  auto zeroes = [](bool flush) {
    return [flush](WasiContext& c, const Args& a) -> HostResult {
      WITSERVE_ASSIGN_OR_RETURN(uint64_t n, a.u64(1));
      if (n > OutputStream::kWindow) return wasi_trap("write-zeroes: more than check-write permits");
      std::vector<uint8_t> zeros(size_t(n), 0);
      return do_write(c, a, zeros, flush);
    };
  };
  define(l, kStreams, "[method]output-stream.write-zeroes", zeroes(false));
  define(l, kStreams, "[method]output-stream.blocking-write-zeroes-and-flush", zeroes(true));
  define(l, kStreams, "[method]output-stream.splice", [](WasiContext& c, const Args& a) { return do_splice(c, a, false); });
  define(l, kStreams, "[method]output-stream.blocking-splice", [](WasiContext& c, const Args& a) { return do_splice(c, a, true); });
}

}  // namespace witserve::wasi
