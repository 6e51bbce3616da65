// wasi:cli for handlers: the route's environment variables only, no arguments, an empty stdin,
// stdout and stderr into the log line by line, no terminal, and exit as a trap.
#include "witserve/wasi/io.h"
#include "witserve/wasi/values.h"
#include "witserve/wasi/wasi.h"

namespace witserve::wasi {
namespace {

class LogOutput : public OutputStream {
 public:
  explicit LogOutput(int fd) : fd_(fd) {}
  Result<StreamStatus> write(WasiContext& c, std::span<const uint8_t> data) override {
    c.output(fd_, data);
    return StreamStatus{};
  }

 private:
  int fd_;
};

}  // namespace

void add_cli(component::Linker& l) {
  define(l, "wasi:cli/environment@0.2.0", "get-environment", [](WasiContext& c, const Args&) -> HostResult {
    std::vector<Value> vars;
    for (const auto& [k, v] : c.grants().env) vars.push_back(Value::tuple({string_value(k), string_value(v)}));
    return give(Value::list(std::move(vars)));
  });
  define(l, "wasi:cli/environment@0.2.0", "get-arguments", [](WasiContext&, const Args&) -> HostResult {
    return give(Value::list({}));
  });
  define(l, "wasi:cli/environment@0.2.0", "initial-cwd", [](WasiContext&, const Args&) -> HostResult {
    return give(Value::none());
  });
  auto exit = [](WasiContext&, const Args& a) -> HostResult {
    std::string how = a.size() && a[0].kind() == TypeKind::kResult ? (a[0].case_index() == 0 ? "success" : "failure")
                      : a.size() ? "code " + std::to_string(a[0].as_unsigned()) : "?";
    return wasi_trap("the handler called exit (" + how + ")");
  };
  define(l, "wasi:cli/exit@0.2.0", "exit", exit);
  define(l, "wasi:cli/exit@0.2.0", "exit-with-code", exit);
  define(l, "wasi:cli/stdin@0.2.0", "get-stdin", [](WasiContext& c, const Args&) -> HostResult {
    static const auto empty = std::make_shared<const std::vector<uint8_t>>();
    return give(own(c, std::make_unique<BufferInput>(empty)));
  });
  define(l, "wasi:cli/stdout@0.2.0", "get-stdout", [](WasiContext& c, const Args&) -> HostResult {
    return give(own(c, std::make_unique<LogOutput>(1)));
  });
  define(l, "wasi:cli/stderr@0.2.0", "get-stderr", [](WasiContext& c, const Args&) -> HostResult {
    return give(own(c, std::make_unique<LogOutput>(2)));
  });
  define_resource(l, "wasi:cli/terminal-input@0.2.0", "terminal-input");
  define_resource(l, "wasi:cli/terminal-output@0.2.0", "terminal-output");
  auto no_terminal = [](WasiContext&, const Args&) -> HostResult { return give(Value::none()); };
  define(l, "wasi:cli/terminal-stdin@0.2.0", "get-terminal-stdin", no_terminal);
  define(l, "wasi:cli/terminal-stdout@0.2.0", "get-terminal-stdout", no_terminal);
  define(l, "wasi:cli/terminal-stderr@0.2.0", "get-terminal-stderr", no_terminal);
}

}  // namespace witserve::wasi
