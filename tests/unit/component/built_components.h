// Test helper: loads the components that tests/components/build.sh makes from source (C, JS, WAT)
// into WITSERVE_TEST_COMPONENTS_DIR (overridable by the environment variable of that name).
#pragma once

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

namespace witserve::testing {

inline std::string built_components_dir() {
  if (const char* d = std::getenv("WITSERVE_TEST_COMPONENTS_DIR")) return d;
  return WITSERVE_TEST_COMPONENTS_DIR;
}

inline std::vector<uint8_t> built_component(const std::string& name) {
  std::string path = built_components_dir() + "/" + name + ".wasm";
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("missing test component " + path);
  return {std::istreambuf_iterator<char>(in), {}};
}

}  // namespace witserve::testing
