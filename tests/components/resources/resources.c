// The "resources" test component (world test:resources/resources, see resources.wit and ../README.md).
//
// Hand-written canonical-ABI glue, wit-component's legacy core names:
//  - the exported resource `counter`: the guest implements it; its representation ("rep") is a
//    pointer to a malloc'ed struct. Methods and borrow<counter> params receive the rep directly (the
//    component defines the type); own<counter> params arrive as handles in the guest's own table.
//    Handles are made and read through the "[export]test:resources/counters" imports
//    [resource-new], [resource-rep] and [resource-drop]; the destructor is the export "...#[dtor]counter".
//  - the imported resource `host-thing`: the guest only sees handles. A borrow<host-thing> param must
//    be dropped with [resource-drop] before the export returns (canonical ABI: num_borrows == 0).
// The module needs no cabi_realloc: no function passes strings or lists.
#include <stdint.h>
#include <stdlib.h>

#define EXPORT(name) __attribute__((export_name(name)))
#define COUNTERS "test:resources/counters#"
#define THINGS "test:resources/things#"

// ---- imports ----
__attribute__((import_module("[export]test:resources/counters"), import_name("[resource-new]counter")))
extern int32_t counter_new(int32_t rep);
__attribute__((import_module("[export]test:resources/counters"), import_name("[resource-rep]counter")))
extern int32_t counter_rep(int32_t handle);
__attribute__((import_module("[export]test:resources/counters"), import_name("[resource-drop]counter")))
extern void counter_drop(int32_t handle);

__attribute__((import_module("test:resources/host"), import_name("[constructor]host-thing")))
extern int32_t host_thing_new(int32_t v);
__attribute__((import_module("test:resources/host"), import_name("[method]host-thing.value")))
extern int32_t host_thing_value(int32_t handle);
__attribute__((import_module("test:resources/host"), import_name("[resource-drop]host-thing")))
extern void host_thing_drop(int32_t handle);
__attribute__((import_module("test:resources/host"), import_name("things-dropped")))
extern int32_t host_things_dropped(void);

// ---- counter ----
typedef struct { uint32_t value; uint32_t magic; } counter_t;
#define COUNTER_MAGIC 0xC0C0A1A1u

static uint32_t destroyed, live;

static counter_t *rep_of(int32_t rep) {
  counter_t *c = (counter_t *)(uintptr_t)(uint32_t)rep;
  if (!c || c->magic != COUNTER_MAGIC) __builtin_trap();  // a wrong rep must not go unnoticed
  return c;
}
static int32_t new_counter_rep(uint32_t start) {
  counter_t *c = malloc(sizeof *c);
  if (!c) __builtin_trap();
  c->value = start;
  c->magic = COUNTER_MAGIC;
  live++;
  return (int32_t)(uintptr_t)c;
}

// The constructor returns own<counter>: a handle made from a fresh rep.
EXPORT(COUNTERS "[constructor]counter") int32_t counter_ctor(int32_t start) {
  return counter_new(new_counter_rep((uint32_t)start));
}
EXPORT(COUNTERS "[method]counter.increment") int32_t counter_increment(int32_t self) {
  return (int32_t)++rep_of(self)->value;
}
EXPORT(COUNTERS "[method]counter.get") int32_t counter_get(int32_t self) {
  return (int32_t)rep_of(self)->value;
}
EXPORT(COUNTERS "[static]counter.sum") int32_t counter_sum(int32_t a, int32_t b) {
  return (int32_t)(rep_of(a)->value + rep_of(b)->value);
}
EXPORT(COUNTERS "[dtor]counter") void counter_dtor(int32_t rep) {
  counter_t *c = rep_of(rep);
  c->magic = 0;
  free(c);
  destroyed++;
  live--;
}
EXPORT(COUNTERS "make-counter") int32_t make_counter(int32_t start) {
  return counter_new(new_counter_rep((uint32_t)start));
}
EXPORT(COUNTERS "sum-borrowed") int32_t sum_borrowed(int32_t a, int32_t b) {
  return (int32_t)(rep_of(a)->value + rep_of(b)->value);
}
// own<counter> arrives as a handle in this instance's table.
EXPORT(COUNTERS "consume-counter") int32_t consume_counter(int32_t handle) {
  uint32_t v = rep_of(counter_rep(handle))->value;
  counter_drop(handle);  // runs counter_dtor
  return (int32_t)v;
}
EXPORT(COUNTERS "destroyed-count") int32_t destroyed_count(void) { return (int32_t)destroyed; }
EXPORT(COUNTERS "live-count") int32_t live_count(void) { return (int32_t)live; }

// ---- host-thing ----
EXPORT(THINGS "read-thing") int32_t read_thing(int32_t borrowed) {
  int32_t v = host_thing_value(borrowed);
  host_thing_drop(borrowed);  // ends the borrow
  return v;
}
EXPORT(THINGS "consume-thing") int32_t consume_thing(int32_t owned) {
  int32_t v = host_thing_value(owned);
  host_thing_drop(owned);  // the last handle: the host destroys the thing
  return v;
}
EXPORT(THINGS "make-and-read") int32_t make_and_read(int32_t v) {
  int32_t h = host_thing_new(v);
  int32_t r = host_thing_value(h);
  host_thing_drop(h);
  return r;
}
EXPORT(THINGS "make-thing") int32_t make_thing(int32_t v) { return host_thing_new(v); }
EXPORT(THINGS "pass-thing") int32_t pass_thing(int32_t owned) { return owned; }
EXPORT(THINGS "things-dropped") int32_t things_dropped(void) { return host_things_dropped(); }
