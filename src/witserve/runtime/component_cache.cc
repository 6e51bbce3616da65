// The compile-once component cache (see component_cache.h).
#include "witserve/runtime/component_cache.h"

#include <openssl/evp.h>

#include <fstream>

#include "witserve/runtime/handler_world.h"

namespace witserve::runtime {

std::string sha256_hex(std::span<const uint8_t> bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &len, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

Result<std::vector<uint8_t>> read_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return Error(ErrorKind::kIo, "cannot open " + file.string());
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return Error(ErrorKind::kIo, "cannot read " + file.string());
  return bytes;
}

// The Store trial instantiations run in: one per loading thread (the startup thread, the file
// watcher, the admin listener), kept for the thread's life. A V8 isolate costs milliseconds to
// make, several times what checking a small component does, so a restart with thousands of
// registered components would spend most of its time making and disposing isolates.
Result<engine::Store*> ComponentCache::scratch_store() {
  thread_local std::unique_ptr<engine::Store> store;
  thread_local const engine::Engine* made_by = nullptr;
  thread_local unsigned uses = 0;
  if (!store || made_by != engine_.get()) {
    store.reset();
    WITSERVE_ASSIGN_OR_RETURN(store, engine_->new_store());
    made_by = engine_.get();
  }
  if (++uses % 16 == 0) store->run_pending_tasks();  // collect what earlier checks left
  return store.get();
}

Result<std::shared_ptr<const LoadedComponent>> ComponentCache::load(std::vector<uint8_t> bytes) {
  std::string hash = sha256_hex(bytes);
  {
    std::lock_guard lock(mu_);
    if (auto it = entries_.find(hash); it != entries_.end())
      if (auto live = it->second.lock()) return live;
  }
  size_t size = bytes.size();
  WITSERVE_ASSIGN_OR_RETURN(auto compiled, component::CompiledComponent::compile(*engine_, std::move(bytes)));
  WITSERVE_ASSIGN_OR_RETURN(ServedWorld served, check_served_world(compiled->resolved()));
  {
    // Instantiating once proves the imports link (host function types included) and the core
    // modules start; a request should never be the first to find out.
    WITSERVE_ASSIGN_OR_RETURN(engine::Store * store, scratch_store());
    auto host = std::make_shared<HostContext>();
    auto linker = make_host_linker(host);
    wasi::WasiContext wasi(host->grants);
    wasi::WasiContext::Enter enter(&wasi);
    WITSERVE_ASSIGN_OR_RETURN(auto instance, component::ComponentInstance::instantiate(compiled, *store, *linker));
    if (served.http_export) {
      if (!instance->export_type("handle", *served.http_export))
        return Error(ErrorKind::kLink, *served.http_export + " exports no function 'handle'");
    } else {
      WITSERVE_TRY(HandleFunc::lookup(*instance, std::string(kHandleExport)));
    }
  }
  auto loaded = std::make_shared<LoadedComponent>();
  loaded->compiled = std::move(compiled);
  loaded->sha256 = hash;
  loaded->size = size;
  loaded->world = describe_world(loaded->compiled->resolved());
  loaded->http_export = served.http_export;
  std::lock_guard lock(mu_);
  // Forget entries no route holds any more, when the map has doubled since the last sweep
  // (sweeping on every load is quadratic in a restart that restores thousands of routes).
  if (entries_.size() >= 2 * swept_size_ + 16) {
    for (auto it = entries_.begin(); it != entries_.end();) it = it->second.expired() ? entries_.erase(it) : std::next(it);
    swept_size_ = entries_.size();
  }
  entries_[hash] = loaded;
  return std::shared_ptr<const LoadedComponent>(loaded);
}

Result<std::shared_ptr<const LoadedComponent>> ComponentCache::load_file(const std::filesystem::path& file) {
  WITSERVE_ASSIGN_OR_RETURN(auto bytes, read_file(file));
  auto loaded = load(std::move(bytes));
  if (!loaded.ok()) return Error(loaded.error().kind(), file.string() + ": " + loaded.error().message());
  return loaded;
}

}  // namespace witserve::runtime
