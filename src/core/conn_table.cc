#include "core/conn_table.h"

#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <new>
#include <stdexcept>

namespace ipvsd::core {
namespace {

// Zeroed memory on transparent huge pages where the kernel allows (lookups land on random
// entries of a large table, and with 4 KiB pages nearly every one of them would also miss the
// TLB, doubly expensive under virtualisation), faulted in here: left to first touch, the
// kernel's page zeroing would cost the data path half of its new-connection rate.
// With `prefault` false the pages are left to first touch (a table that fills slowly, if ever).
void* MapZeroed(size_t bytes, bool prefault) {
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  madvise(p, bytes, MADV_HUGEPAGE);
  if (prefault) std::memset(p, 0, bytes);
  return p;
}

}  // namespace

uint32_t ConnTable::RoundCapacity(uint32_t capacity) { return std::bit_ceil(capacity < 64 ? 64u : capacity); }

ConnTable::ConnTable(uint32_t capacity, const HashKey& key, Ticks now, Entries entries, ConnStore* store)
    : capacity_(RoundCapacity(capacity)),
      mask_(capacity_ - 1),
      key_(key),
      own_entries_(store == nullptr),
      wheel_now_(now) {
  entries_bytes_ = size_t{capacity_} * sizeof(ConnEntry);
  if (store) {
    if (store->capacity() != capacity_) throw std::invalid_argument("ConnTable: store of another capacity");
    entries_ = store->entries();
    seals_ = store->seals();
  } else {
    entries_ = static_cast<ConnEntry*>(MapZeroed(entries_bytes_, entries == Entries::kPrefaulted));
  }
  in_heads_ = static_cast<uint32_t*>(MapZeroed(size_t{capacity_} * sizeof(uint32_t), true));
  out_heads_ = static_cast<uint32_t*>(MapZeroed(size_t{capacity_} * sizeof(uint32_t), true));
  std::memset(in_heads_, 0xff, size_t{capacity_} * sizeof(uint32_t));
  std::memset(out_heads_, 0xff, size_t{capacity_} * sizeof(uint32_t));
  for (uint32_t& s : slots_) s = kNoIndex;
}

ConnTable::~ConnTable() {
  if (own_entries_) munmap(entries_, entries_bytes_);
  munmap(in_heads_, size_t{capacity_} * sizeof(uint32_t));
  munmap(out_heads_, size_t{capacity_} * sizeof(uint32_t));
}

ConnEntry* ConnTable::FindIn(net::Family af, uint8_t proto, const net::RawAddr& caddr, uint16_t cport,
                             const net::RawAddr& vaddr, uint16_t vport) const {
  return FindInFrom(InChain(Hash(af, proto, caddr, cport, vaddr, vport, false)), af, proto, caddr, cport, vaddr,
                    vport);
}

ConnEntry* ConnTable::FindInFrom(uint32_t cursor, net::Family af, uint8_t proto, const net::RawAddr& caddr,
                                 uint16_t cport, const net::RawAddr& vaddr, uint16_t vport) const {
  for (uint32_t idx = cursor; idx != kNoIndex; idx = entries_[idx].in_next) {
    if (MatchesIn(entries_[idx], af, proto, caddr, cport, vaddr, vport)) return &entries_[idx];
  }
  return nullptr;
}

ConnEntry* ConnTable::FindOut(net::Family af, uint8_t proto, const net::RawAddr& daddr, uint16_t dport,
                              const net::RawAddr& caddr, uint16_t cport) {
  LinkPendingOut();
  uint32_t idx = out_heads_[Hash(af, proto, daddr, dport, caddr, cport, false) & mask_];
  while (idx != kNoIndex) {
    ConnEntry* e = &entries_[idx];
    if (e->dport == dport && e->cport == cport && e->protocol == proto && e->daddr == daddr && e->caddr == caddr &&
        e->daf == af) {
      return e;
    }
    idx = e->out_next;
  }
  return nullptr;
}

ConnEntry* ConnTable::FindTemplate(net::Family af, uint8_t proto, const net::RawAddr& snet, const net::RawAddr& vaddr,
                                   uint16_t vport) const {
  uint32_t idx = in_heads_[Hash(af, proto, snet, 0, vaddr, vport, true) & mask_];
  while (idx != kNoIndex) {
    ConnEntry* e = &entries_[idx];
    if (e->vport == vport && e->protocol == proto && e->caddr == snet && e->vaddr == vaddr && e->af == af &&
        (e->flags & kConnTemplate)) {
      return e;
    }
    idx = e->in_next;
  }
  return nullptr;
}

ConnEntry* ConnTable::Allocate() {
  uint32_t idx;
  if (free_head_ != kNoIndex) {
    idx = free_head_;
    free_head_ = entries_[idx].in_next;
  } else if (high_water_ < capacity_) {
    idx = high_water_++;
  } else {
    return nullptr;
  }
  ConnEntry* e = &entries_[idx];
  *e = ConnEntry{};
  e->flags = kConnInUse;
  ++size_;
  return e;
}

void ConnTable::Insert(ConnEntry* e) {
  uint32_t idx = IndexOf(e);
  bool is_template = e->flags & kConnTemplate;
  uint32_t& in_head = in_heads_[Hash(e->af, e->protocol, e->caddr, e->cport, e->vaddr, e->vport, is_template) & mask_];
  e->in_next = in_head;
  in_head = idx;
  if (!is_template && e->fwd() == FwdMethod::kMasq) {
    if (n_pending_out_ == kMaxPendingOut) LinkPendingOut();
    auto bucket =
        static_cast<uint32_t>(Hash(e->daf, e->protocol, e->daddr, e->dport, e->caddr, e->cport, false) & mask_);
    Prefetch(&out_heads_[bucket]);
    pending_out_[n_pending_out_++] = PendingOut{idx, bucket};
  }
  e->flags |= kConnHashed;
  if (is_template) ++templates_;
  ++changes_;
  LinkTimer(e);
  // Last, after every field it covers: a process killed before this store leaves no seal.
  if (seals_) std::atomic_ref<uint32_t>(seals_[idx]).store(ConnSeal(*e), std::memory_order_release);
}

void ConnTable::LinkPendingOut() {
  for (uint32_t i = 0; i < n_pending_out_; ++i) {
    const PendingOut& p = pending_out_[i];
    entries_[p.index].out_next = out_heads_[p.bucket];
    out_heads_[p.bucket] = p.index;
  }
  n_pending_out_ = 0;
}

namespace {
// Removes idx from a singly linked chain threaded through the member `next`.
template <uint32_t ConnEntry::*Next>
void UnlinkChain(uint32_t* head, uint32_t idx, ConnEntry* entries) {
  while (*head != kNoIndex) {
    if (*head == idx) {
      *head = entries[idx].*Next;
      entries[idx].*Next = kNoIndex;
      return;
    }
    head = &(entries[*head].*Next);
  }
}
}  // namespace

void ConnTable::Unhash(ConnEntry* e) {
  if (!(e->flags & kConnHashed)) return;
  uint32_t idx = IndexOf(e);
  // First: once unsealed, the entry may change or be reused.
  if (seals_) std::atomic_ref<uint32_t>(seals_[idx]).store(0, std::memory_order_release);
  LinkPendingOut();
  bool is_template = e->flags & kConnTemplate;
  UnlinkChain<&ConnEntry::in_next>(
      &in_heads_[Hash(e->af, e->protocol, e->caddr, e->cport, e->vaddr, e->vport, is_template) & mask_], idx,
      entries_);
  if (!is_template && e->fwd() == FwdMethod::kMasq) {
    UnlinkChain<&ConnEntry::out_next>(
        &out_heads_[Hash(e->daf, e->protocol, e->daddr, e->dport, e->caddr, e->cport, false) & mask_], idx,
        entries_);
  }
  e->flags &= static_cast<uint16_t>(~kConnHashed);
  if (is_template) --templates_;
  ++changes_;
}

uint32_t ConnTable::LongestChain(Index index) {
  LinkPendingOut();
  const bool in = index == Index::kIn;
  const uint32_t* heads = in ? in_heads_ : out_heads_;
  uint32_t longest = 0;
  for (uint32_t b = 0; b < capacity_; ++b) {
    uint32_t length = 0;
    for (uint32_t idx = heads[b]; idx != kNoIndex; idx = in ? entries_[idx].in_next : entries_[idx].out_next) ++length;
    longest = std::max(longest, length);
  }
  return longest;
}

void ConnTable::Free(ConnEntry* e) {
  Unhash(e);
  e->flags = 0;
  e->in_next = free_head_;
  free_head_ = IndexOf(e);
  --size_;
}

void ConnTable::LinkTimer(ConnEntry* e) {
  // The first tick the wheel will run that is not before `expires`, or the slot's next
  // visit when `expires` lies more than one revolution ahead.
  Ticks due = static_cast<int32_t>(e->expires - wheel_now_) > 0 ? e->expires : wheel_now_ + 1;
  uint32_t slot = due % kWheelSlots;
  e->timer_slot = wheel_now_ + 1 + ((slot - (wheel_now_ + 1)) % kWheelSlots);
  uint32_t idx = IndexOf(e);
  e->timer_prev = kNoIndex;
  e->timer_next = slots_[slot];
  if (slots_[slot] != kNoIndex) entries_[slots_[slot]].timer_prev = idx;
  slots_[slot] = idx;
}

void ConnTable::UnlinkTimer(ConnEntry* e) {
  if (e->timer_prev != kNoIndex) {
    entries_[e->timer_prev].timer_next = e->timer_next;
  } else {
    uint32_t slot = e->timer_slot % kWheelSlots;
    if (slots_[slot] == IndexOf(e)) slots_[slot] = e->timer_next;
  }
  if (e->timer_next != kNoIndex) entries_[e->timer_next].timer_prev = e->timer_prev;
  e->timer_prev = e->timer_next = kNoIndex;
}

void ConnTable::Rearm(ConnEntry* e) {
  if (static_cast<int32_t>(e->expires - e->timer_slot) >= 0) return;  // the wheel will see it in time
  UnlinkTimer(e);
  LinkTimer(e);
}

}  // namespace ipvsd::core
