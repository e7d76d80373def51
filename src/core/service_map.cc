#include "core/service_map.h"

#include <algorithm>
#include <cstring>

namespace ipvsd::core {

ServiceMap::ServiceMap() {
  auto root = std::make_shared<Root>();
  root->key = RandomHashKey();
  root_ = std::move(root);
}

size_t ServiceMap::Hash(const HashKey& hash_key, const ServiceKey& key) {
  uint64_t lo, hi;
  std::memcpy(&lo, key.addr.bytes.data(), 8);
  std::memcpy(&hi, key.addr.bytes.data() + 8, 8);
  const uint64_t rest = uint64_t{key.fwmark} << 32 | uint64_t{key.protocol} << 24 | uint64_t{key.port} << 8 |
                        static_cast<uint64_t>(key.family);
  return static_cast<size_t>(SipHash13Words(hash_key, lo, hi, rest));
}

const Service* ServiceMap::Find(const ServiceKey& key) const {
  const size_t h = Hash(root_->key, key);
  const Inner* inner = root_->inners[InnerIndex(h)].get();
  if (!inner) return nullptr;
  const Leaf* leaf = inner->leaves[LeafIndex(h)].get();
  if (!leaf) return nullptr;
  for (const ServicePtr& s : leaf->services) {
    if (s->key() == key) return s.get();
  }
  return nullptr;
}

std::vector<ServicePtr> ServiceMap::InOrder() const {
  std::vector<ServicePtr> out;
  out.reserve(size());
  ForEach([&](const ServicePtr& s) { out.push_back(s); });
  std::sort(out.begin(), out.end(), [](const ServicePtr& a, const ServicePtr& b) { return a->seq < b->seq; });
  return out;
}

ServiceMap::Builder::Builder(const ServiceMap& base) : root_(std::make_shared<Root>(*base.root_)) {}

const Service* ServiceMap::Builder::Find(const ServiceKey& key) const {
  return ServiceMap(root_).Find(key);
}

std::vector<ServicePtr>& ServiceMap::Builder::MutableLeaf(size_t hash) {
  std::shared_ptr<Inner>& inner = root_->inners[InnerIndex(hash)];
  if (!inner) {
    inner = std::make_shared<Inner>();
    owned_.insert(inner.get());
  } else if (!owned_.contains(inner.get())) {
    inner = std::make_shared<Inner>(*inner);
    owned_.insert(inner.get());
  }
  std::shared_ptr<Leaf>& leaf = inner->leaves[LeafIndex(hash)];
  if (!leaf) {
    leaf = std::make_shared<Leaf>();
    owned_.insert(leaf.get());
  } else if (!owned_.contains(leaf.get())) {
    leaf = std::make_shared<Leaf>(*leaf);
    owned_.insert(leaf.get());
  }
  return leaf->services;
}

void ServiceMap::Builder::Put(ServicePtr s) {
  const ServiceKey& key = s->key();
  std::vector<ServicePtr>& leaf = MutableLeaf(Hash(root_->key, key));
  for (ServicePtr& old : leaf) {
    if (old->key() == key) {
      old = std::move(s);
      return;
    }
  }
  ++root_->size;
  if (IsPortZero(key)) ++root_->port_zero;
  leaf.push_back(std::move(s));
}

bool ServiceMap::Builder::Erase(const ServiceKey& key) {
  if (!Find(key)) return false;
  std::vector<ServicePtr>& leaf = MutableLeaf(Hash(root_->key, key));
  std::erase_if(leaf, [&](const ServicePtr& s) { return s->key() == key; });
  --root_->size;
  if (IsPortZero(key)) --root_->port_zero;
  return true;
}

void ServiceMap::Builder::Clear() {
  const HashKey key = root_->key;
  root_ = std::make_shared<Root>();
  root_->key = key;
  owned_.clear();
}

ServiceMap ServiceMap::Builder::Build() && {
  owned_.clear();
  return ServiceMap(std::move(root_));
}

}  // namespace ipvsd::core
