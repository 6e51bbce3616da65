// Test helper: loads the WAT fixtures that the build assembles into WITSERVE_TEST_WASM_DIR.
#pragma once

#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

namespace witserve::testing {

inline std::vector<uint8_t> wasm_file(const std::string& name) {
  std::string path = std::string(WITSERVE_TEST_WASM_DIR) + "/" + name + ".wasm";
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("missing test fixture " + path);
  return {std::istreambuf_iterator<char>(in), {}};
}

}  // namespace witserve::testing
