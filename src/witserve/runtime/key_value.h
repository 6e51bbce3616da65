// A server's key-value stores (the manifest's [key_value_store.LABEL], plus the implicit
// "default"), opened once by serve() and handed to Routes, which grants each route the stores its
// key_value_stores lists. Only stores some route uses are opened (a SQLite file is created, a
// Redis url checked; Redis itself is reached on first use). Immutable after open; any thread.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "witserve/base/result.h"
#include "witserve/kv/store.h"
#include "witserve/manifest/manifest.h"

namespace witserve::runtime {

class KeyValueStores {
 public:
  // Opens every store the manifest's routes grant (a SQLite store without a path in
  // m.server.data_dir, as the command line left it). A redis url given as { env = "NAME" } is read
  // from the environment now; unset, the start fails naming it.
  static Result<std::shared_ptr<const KeyValueStores>> open(const manifest::Manifest& m);

  // The store with this label, or null if it was not opened.
  std::shared_ptr<kv::Store> find(const std::string& label) const;

 private:
  std::map<std::string, std::shared_ptr<kv::Store>> stores_;
};

}  // namespace witserve::runtime
