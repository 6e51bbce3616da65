# Locates V8 as shipped in Debian's libnode (Node 18, V8 10.2) and defines the imported target
# witserve::v8. WITSERVE_LIBNODE_ROOT is the prefix holding include/node and lib/<multiarch>
# (/usr for the system package, .deps/libnode/usr for the copy scripts/setup unpacks).
# Only the engine's V8 backend links this target, so no other layer can see V8's headers.
set(WITSERVE_LIBNODE_ROOT "${CMAKE_SOURCE_DIR}/.deps/libnode/usr" CACHE PATH "prefix of libnode-dev")

find_path(WITSERVE_V8_INCLUDE_DIR v8-version.h
  PATHS "${WITSERVE_LIBNODE_ROOT}/include/node" NO_DEFAULT_PATH REQUIRED)
find_library(WITSERVE_LIBNODE NAMES libnode.so.108 node
  PATHS "${WITSERVE_LIBNODE_ROOT}/lib/x86_64-linux-gnu" "${WITSERVE_LIBNODE_ROOT}/lib"
  NO_DEFAULT_PATH REQUIRED)

file(STRINGS "${WITSERVE_V8_INCLUDE_DIR}/v8-version.h" _v8_major REGEX "define V8_MAJOR_VERSION")
if(NOT _v8_major MATCHES " 10$")
  message(FATAL_ERROR "expected V8 10.x headers in ${WITSERVE_V8_INCLUDE_DIR}, found: ${_v8_major}")
endif()

add_library(witserve::v8 SHARED IMPORTED GLOBAL)
set_target_properties(witserve::v8 PROPERTIES
  IMPORTED_LOCATION "${WITSERVE_LIBNODE}"
  INTERFACE_INCLUDE_DIRECTORIES "${WITSERVE_V8_INCLUDE_DIR}")
get_filename_component(WITSERVE_LIBNODE_DIR "${WITSERVE_LIBNODE}" DIRECTORY)
# Binaries find the unpacked libnode without LD_LIBRARY_PATH.
set(CMAKE_BUILD_RPATH "${WITSERVE_LIBNODE_DIR}")
set(CMAKE_INSTALL_RPATH "${WITSERVE_LIBNODE_DIR}")
message(STATUS "V8 from libnode: ${WITSERVE_LIBNODE}")
