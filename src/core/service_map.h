// File: core/service_map.h
//
// ServiceMap is an immutable map from ServiceKey to Service whose versions share structure:
// a two-level tree of fixed fan-out indexed by the key's hash, each leaf a short list of
// services. A change copies the root, one inner node and one leaf, and nothing else, so it
// costs the same with 10 services or 10 000; every untouched leaf, and every untouched
// Service object, is the same object in the old version and the new one. That also makes
// Diff() cheap: it skips every subtree the two versions share.
//
// The index is a keyed hash (SipHash-1-3, base/siphash.h) under a random key that a map
// passes on to every version made from it: services are configured, not chosen by clients,
// but a table that control-plane input could pile into one leaf would make every lookup of
// a new connection walk it.
//
//   ServiceMap::Builder b(table.map());   // copy-on-write editor of a version
//   b.Put(new_service);
//   ServiceMap next = std::move(b).Build();
//   ServiceMap::Diff(table.map(), next, [](const Service* before, const Service* after) {...});
#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <unordered_set>
#include <vector>

#include "base/siphash.h"
#include "core/service.h"

namespace ipvsd::core {

class ServiceMap {
 public:
  static constexpr unsigned kFanoutBits = 7;
  static constexpr size_t kFanout = size_t{1} << kFanoutBits;

  // An empty map with a random hash key.
  ServiceMap();

 private:
  struct Leaf {
    std::vector<ServicePtr> services;
  };
  struct Inner {
    std::array<std::shared_ptr<Leaf>, kFanout> leaves;
  };
  struct Root {
    std::array<std::shared_ptr<Inner>, kFanout> inners;
    size_t size = 0;
    size_t port_zero = 0;
    HashKey key{};  // the same in every version made from one map
  };

 public:

  const Service* Find(const ServiceKey& key) const;
  size_t size() const { return root_->size; }
  // True when some service has a port-zero address key, so that lookups must try it too.
  bool has_port_zero() const { return root_->port_zero > 0; }

  template <typename Fn>
  void ForEach(Fn&& fn) const {
    for (const auto& inner : root_->inners) {
      if (!inner) continue;
      for (const auto& leaf : inner->leaves) {
        if (!leaf) continue;
        for (const ServicePtr& s : leaf->services) fn(s);
      }
    }
  }
  // Every service in the order it was added (Service::seq).
  std::vector<ServicePtr> InOrder() const;

  // Calls fn(before, after) for every key whose Service object differs between the two
  // versions: (nullptr, s) added, (s, nullptr) deleted, (s, t) replaced. Shared subtrees are
  // skipped, so the cost follows the change, not the table; maps not made one from the other
  // hash differently and are compared service by service.
  template <typename Fn>
  static void Diff(const ServiceMap& a, const ServiceMap& b, Fn&& fn);

  // A copy-on-write editor: the first change under a node copies it, later ones reuse the
  // copy. The base version is never modified.
  class Builder {
   public:
    explicit Builder(const ServiceMap& base);
    const Service* Find(const ServiceKey& key) const;
    // Inserts s, or replaces the service with its key.
    void Put(ServicePtr s);
    // False when no service has that key.
    bool Erase(const ServiceKey& key);
    void Clear();
    template <typename Fn>
    void ForEach(Fn&& fn) const {
      ServiceMap(root_).ForEach(fn);
    }
    ServiceMap Build() &&;

   private:
    std::vector<ServicePtr>& MutableLeaf(size_t hash);

    std::shared_ptr<Root> root_;
    std::unordered_set<const void*> owned_;  // nodes this builder created (and may change)
  };

 private:
  static size_t Hash(const HashKey& hash_key, const ServiceKey& key);
  static size_t InnerIndex(size_t hash) { return (hash >> kFanoutBits) & (kFanout - 1); }
  static size_t LeafIndex(size_t hash) { return hash & (kFanout - 1); }
  static bool IsPortZero(const ServiceKey& k) { return k.fwmark == 0 && k.port == 0; }

  explicit ServiceMap(std::shared_ptr<const Root> root) : root_(std::move(root)) {}
  template <typename Fn>
  static void DiffLeaves(const Leaf* a, const Leaf* b, Fn& fn);

  // Nodes are never changed once a version is built; const here keeps readers honest.
  std::shared_ptr<const Root> root_;
};

template <typename Fn>
void ServiceMap::DiffLeaves(const Leaf* a, const Leaf* b, Fn& fn) {
  static const Leaf kEmpty;
  if (!a) a = &kEmpty;
  if (!b) b = &kEmpty;
  for (const ServicePtr& s : a->services) {
    const ServicePtr* match = nullptr;
    for (const ServicePtr& t : b->services) {
      if (t->key() == s->key()) match = &t;
    }
    if (!match) {
      fn(s.get(), static_cast<const Service*>(nullptr));
    } else if (match->get() != s.get()) {
      fn(s.get(), match->get());
    }
  }
  for (const ServicePtr& t : b->services) {
    bool found = false;
    for (const ServicePtr& s : a->services) found = found || s->key() == t->key();
    if (!found) fn(static_cast<const Service*>(nullptr), t.get());
  }
}

template <typename Fn>
void ServiceMap::Diff(const ServiceMap& a, const ServiceMap& b, Fn&& fn) {
  if (a.root_ == b.root_) return;
  if (a.root_->key != b.root_->key) {
    a.ForEach([&](const ServicePtr& s) {
      const Service* t = b.Find(s->key());
      if (t != s.get()) fn(s.get(), t);
    });
    b.ForEach([&](const ServicePtr& t) {
      if (!a.Find(t->key())) fn(static_cast<const Service*>(nullptr), t.get());
    });
    return;
  }
  for (size_t i = 0; i < kFanout; ++i) {
    const Inner* ia = a.root_->inners[i].get();
    const Inner* ib = b.root_->inners[i].get();
    if (ia == ib) continue;
    for (size_t j = 0; j < kFanout; ++j) {
      const Leaf* la = ia ? ia->leaves[j].get() : nullptr;
      const Leaf* lb = ib ? ib->leaves[j].get() : nullptr;
      if (la != lb) DiffLeaves(la, lb, fn);
    }
  }
}

}  // namespace ipvsd::core
