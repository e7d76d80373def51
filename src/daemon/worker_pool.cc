#include "daemon/worker_pool.h"

#include <chrono>
#include <future>
#include <optional>
#include <thread>

#include "base/log.h"
#include "base/siphash.h"
#include "core/sync_rules.h"
#include "daemon/traffic_filter_builder.h"
#include "dataplane/conn_listing.h"

namespace ipvsd::daemon {
namespace {

// Polls without a frame before a worker waits on its I/O (long enough to ride out the gaps
// of a busy link without sleeping, short enough to idle quickly).
constexpr int kIdlePollsBeforeWait = 256;
constexpr int kIdleWaitMs = 1;
// A worker that does not answer a listing within this time is skipped, not waited for.
constexpr auto kTaskTimeout = std::chrono::seconds(2);

ctl::ConnRecord ToRecord(const dataplane::ConnSnapshot& s) {
  ctl::ConnRecord r;
  r.protocol = s.protocol;
  r.client = net::Endpoint{net::IpAddr{s.caddr, s.af}, s.cport};
  r.vaddr = net::Endpoint{net::IpAddr{s.vaddr, s.af}, s.vport};
  r.dest = net::Endpoint{net::IpAddr{s.daddr, s.daf}, s.dport};
  r.state = s.state;
  r.expires = s.expires_s;
  return r;
}

}  // namespace

uint32_t WorkerPool::PerWorkerCapacity(uint32_t conn_max, size_t workers) {
  return core::ConnTable::RoundCapacity(conn_max / static_cast<uint32_t>(workers ? workers : 1));
}

WorkerPool::WorkerPool(dataplane::Worker::Env env, std::unique_ptr<net::Router> router, uint32_t conn_max,
                       PacketIoSet io, std::unique_ptr<ConnStores> stores)
    : router_(std::move(router)),
      stores_(std::move(stores)),
      ios_(std::move(io.ios)),
      queues_(std::move(io.queues)),
      io_description_(std::move(io.description)),
      update_filter_(std::move(io.update_filter)),
      io_counters_(std::move(io.counters)),
      io_hand_over_(std::move(io.hand_over)),
      clock_(env.clock),
      timeouts_(env.timeouts),
      services_(env.services) {
  env.router = router_.get();
  const uint32_t per_worker = PerWorkerCapacity(conn_max, ios_.size());
  if (ios_.size() > 1) handoff_ = std::make_unique<dataplane::Handoff>(ios_.size(), RandomHashKey());
  templates_ = std::make_unique<core::TemplateTable>(conn_max, RandomHashKey(), env.clock->NowTicks(),
                                                     stores_ ? stores_->templates() : nullptr);
  env.handoff = handoff_.get();
  env.templates = templates_.get();
  flow_offload_ = std::move(io.flow_offload);
  env.flow_offload = flow_offload_.get();
  // One SYN cookie key for all workers: a cookie's ACK may reach another worker than its SYN;
  // and the store's, which outlives this process: it may reach the next one.
  HashKey syn_cookie_key = RandomHashKey();
  if (stores_) {
    if (auto kept = stores_->SynCookieKey()) {
      syn_cookie_key = *kept;
    } else {
      Log(LogLevel::kWarning, "%s; SYN cookies of this run are not valid after a restart",
          kept.error().message.c_str());
    }
  }
  for (size_t i = 0; i < ios_.size(); ++i) {
    dataplane::Worker::Options o;
    o.id = static_cast<int>(i);
    o.conn_capacity = per_worker;
    o.hash_key = RandomHashKey();  // random, or clients could flood one bucket
    o.syn_cookie_key = syn_cookie_key;
    o.conn_store = stores_ ? stores_->conns(i) : nullptr;
    workers_.push_back(std::make_unique<dataplane::Worker>(o, env));
  }
}

WorkerPool::~WorkerPool() { Stop(); }

Status WorkerPool::AdoptStored() {
  if (!stores_) return Ok();
  ConnStores::Previous previous = stores_->ReadPrevious();
  const std::shared_ptr<const core::ServiceTable> table = services_->table();
  const Ticks now = clock_->NowTicks();
  uint64_t results[core::kAdoptResultCount] = {};
  {
    std::lock_guard lock(templates_->mutex());
    core::ConnTable& templates = templates_->table();
    // Templates first: a connection links to its template as it is adopted.
    for (const core::ConnEntry& e : previous.entries.templates) {
      ++results[static_cast<int>(core::AdoptStoredEntry(workers_[0]->conns(), templates, *table, e, *timeouts_, now))];
    }
    for (const core::ConnEntry& e : previous.entries.conns) {
      const size_t home = handoff_ ? handoff_->OwnerOf(e.caddr, e.cport) : 0;
      ++results[static_cast<int>(
          core::AdoptStoredEntry(workers_[home]->conns(), templates, *table, e, *timeouts_, now))];
    }
  }
  std::string line;
  for (int r = 0; r < core::kAdoptResultCount; ++r) {
    const char* name = core::AdoptResultName(static_cast<core::AdoptResult>(r));
    adopted_.push_back(NamedCount{name, results[r]});
    if (results[r] && r != static_cast<int>(core::AdoptResult::kAdopted)) {
      line += std::string(" ") + name + "=" + std::to_string(results[r]);
    }
  }
  adopted_.push_back(NamedCount{"torn", previous.entries.torn});
  adopted_.push_back(NamedCount{"unreadable_files", previous.unreadable_files});
  if (previous.entries.torn) line += " torn=" + std::to_string(previous.entries.torn);
  if (previous.unreadable_files) line += " unreadable_files=" + std::to_string(previous.unreadable_files);
  if (previous.files) {
    Log(LogLevel::kInfo, "connection store %s: adopted %llu of %zu connections and templates from %u file(s);%s",
        stores_->dir().c_str(), static_cast<unsigned long long>(results[0]),
        previous.entries.conns.size() + previous.entries.templates.size() + previous.entries.torn, previous.files,
        line.empty() ? " none lost" : line.c_str());
  } else {
    Log(LogLevel::kInfo, "connection store %s: empty, nothing to adopt", stores_->dir().c_str());
  }
  return stores_->Commit();
}

void WorkerPool::ReturnHandedFrames() {
  if (!handoff_) return;
  for (size_t origin = 0; origin < ios_.size(); ++origin) {
    io::PacketIo& io = *ios_[origin];
    for (size_t owner = 0; owner < ios_.size(); ++owner) {
      if (owner == origin) continue;
      dataplane::HandedFrame handed[net::kMaxBurst];
      // Not yet seen by their owner: dropped (TCP retransmits them).
      while (size_t n = handoff_->ToOwner(origin, owner).PopMany(std::span(handed))) {
        for (size_t i = 0; i < n; ++i) io.Drop(std::span(&handed[i].frame, 1));
      }
      // Processed: their verdict still counts.
      while (size_t n = handoff_->ToOrigin(owner, origin).PopMany(std::span(handed))) {
        for (size_t i = 0; i < n; ++i) {
          std::span<const net::Frame> one(&handed[i].frame, 1);
          if (handed[i].verdict == dataplane::Verdict::kTx) {
            io.Send(one);
          } else if (handed[i].verdict == dataplane::Verdict::kPass) {
            io.Pass(one);
          } else {
            io.Drop(one);
          }
        }
      }
    }
  }
}

Result<std::vector<io::AfXdpHandover>> WorkerPool::HandOverSockets() {
  if (!io_hand_over_) return std::vector<io::AfXdpHandover>{};
  return io_hand_over_();
}

void WorkerPool::Start() {
  for (size_t i = 0; i < workers_.size(); ++i) threads_.emplace_back([this, i] { Run(i); });
}

void WorkerPool::Stop() {
  stop_.store(true, std::memory_order_relaxed);
  if (threads_.empty()) return;
  for (std::thread& t : threads_) t.join();
  threads_.clear();
  ReturnHandedFrames();
  for (const auto& w : workers_) {
    const dataplane::WorkerCounters& c = w->counters();
    std::string drops;
    for (int r = 0; r < dataplane::kDropReasonCount; ++r) {
      uint64_t n = c.drops_of(static_cast<dataplane::DropReason>(r));
      if (n) drops += std::string(" ") + dataplane::DropReasonName(static_cast<dataplane::DropReason>(r)) + "=" +
                      std::to_string(n);
    }
    std::string sync;
    if (c.sync_queued.load() || c.sync_queue_full.load()) {
      sync += " sync_queued=" + std::to_string(c.sync_queued.load()) +
              " sync_queue_full=" + std::to_string(c.sync_queue_full.load());
    }
    for (int r = 0; r < core::kInstallResultCount; ++r) {
      uint64_t n = c.sync_installs[static_cast<size_t>(r)].load();
      if (n) sync += std::string(" sync_") + core::InstallResultName(static_cast<core::InstallResult>(r)) + "=" +
                     std::to_string(n);
    }
    Log(LogLevel::kInfo,
        "worker %d: rx=%llu tx=%llu passed=%llu icmp_sent=%llu resets_sent=%llu checksums_completed=%llu "
        "handed_off=%llu handed_in=%llu entries_dropped=%llu drops:%s%s",
        w->id(), static_cast<unsigned long long>(c.rx.load()), static_cast<unsigned long long>(c.tx.load()),
        static_cast<unsigned long long>(c.passed.load()), static_cast<unsigned long long>(c.icmp_sent.load()),
        static_cast<unsigned long long>(c.resets_sent.load()),
        static_cast<unsigned long long>(c.checksums_completed.load()),
        static_cast<unsigned long long>(c.handed_off.load()), static_cast<unsigned long long>(c.handed_in.load()),
        static_cast<unsigned long long>(c.entries_dropped.load()), drops.empty() ? " none" : drops.c_str(), sync.c_str());
  }
  if (io_counters_) {
    std::string line;
    for (const NamedCount& c : io_counters_()) line += (line.empty() ? "" : " ") + c.name + "=" + std::to_string(c.value);
    Log(LogLevel::kInfo, "packet I/O: %s", line.c_str());
  }
}

void WorkerPool::Run(size_t index) {
  dataplane::Worker& w = *workers_[index];
  io::PacketIo& io = *ios_[index];
  int idle = 0;
  while (!stop_.load(std::memory_order_relaxed)) {
    if (w.Poll(io) > 0) {
      idle = 0;
    } else if (++idle >= kIdlePollsBeforeWait) {
      if (!handoff_) {
        io.WaitForFrames(kIdleWaitMs, -1);
      } else if (handoff_->Sleep(index)) {
        io.WaitForFrames(kIdleWaitMs, handoff_->wake_fd(index));
        handoff_->Awake(index);
      }
    }
  }
}

bool WorkerPool::PushSyncIn(const core::SyncRecord& r) {
  // A connection goes to the worker that owns it; a template to any (they share the table).
  size_t home = handoff_ ? handoff_->OwnerOf(r.caddr, r.cport) : 0;
  return workers_[home]->PushSyncIn(r);
}

template <typename T>
std::optional<T> WorkerPool::AskWorker(size_t index, std::function<T(dataplane::Worker&)> ask) {
  auto promise = std::make_shared<std::promise<T>>();
  std::future<T> answer = promise->get_future();
  workers_[index]->Post([promise, ask](dataplane::Worker& self) { promise->set_value(ask(self)); });
  if (answer.wait_for(kTaskTimeout) != std::future_status::ready) return std::nullopt;
  return answer.get();
}

template <typename T>
std::vector<std::optional<T>> WorkerPool::AskEveryWorker(std::function<T(dataplane::Worker&)> ask) {
  std::vector<std::future<T>> answers;
  for (auto& w : workers_) {
    auto promise = std::make_shared<std::promise<T>>();
    answers.push_back(promise->get_future());
    w->Post([promise, ask](dataplane::Worker& self) { promise->set_value(ask(self)); });
  }
  std::vector<std::optional<T>> out;
  for (auto& a : answers) {
    if (a.wait_for(kTaskTimeout) == std::future_status::ready) {
      out.emplace_back(a.get());
    } else {
      out.emplace_back();
    }
  }
  return out;
}

template <typename T, typename Make>
WorkerPool::Page<T> WorkerPool::PageThrough(const ctl::ConnCursor& from, size_t max, Make make) {
  // Part 0 is the persistence templates all workers share, part 1 + w worker w's connections.
  const size_t parts = workers_.size() + 1;
  Page<T> out;
  ctl::ConnCursor at = from;
  while (at.part < parts && out.entries.size() < max) {
    const size_t want = max - out.entries.size();
    const uint32_t slot = at.slot;
    std::optional<dataplane::TablePage<T>> page;
    if (at.part == 0) {
      std::lock_guard lock(templates_->mutex());
      page = dataplane::PageOf<T>(templates_->table(), slot, want, make);
    } else {
      page = AskWorker<dataplane::TablePage<T>>(at.part - 1, [slot, want, make](dataplane::Worker& self) {
        return dataplane::PageOf<T>(self.conns(), slot, want, make);
      });
    }
    // A worker that does not answer in time is skipped, as in every listing.
    if (page) out.entries.insert(out.entries.end(), page->entries.begin(), page->entries.end());
    if (page && page->more) {
      at.slot = page->next;
    } else {
      ++at.part;
      at.slot = 0;
    }
  }
  out.more = at.part < parts;
  out.next = at;
  return out;
}

ctl::ConnList WorkerPool::ListConns(const ctl::ConnCursor& from) {
  const Ticks now = clock_->NowTicks();
  Page<dataplane::ConnSnapshot> page = PageThrough<dataplane::ConnSnapshot>(
      from, from.max, [now](const core::ConnEntry& e) { return dataplane::SnapshotOf(e, now); });
  ctl::ConnList out;
  out.conns.reserve(page.entries.size());
  for (const dataplane::ConnSnapshot& s : page.entries) out.conns.push_back(ToRecord(s));
  out.more = page.more;
  out.next = page.next;
  return out;
}

ctl::DataPlaneInfo WorkerPool::Describe() {
  auto answers = AskEveryWorker<ctl::WorkerInfo>([](dataplane::Worker& self) {
    const dataplane::WorkerCounters& c = self.counters();
    ctl::WorkerInfo info;
    info.conns = self.conns().size();
    info.rx = c.rx.load(std::memory_order_relaxed);
    info.tx = c.tx.load(std::memory_order_relaxed);
    info.dropped = c.total_drops();
    info.handed_off = c.handed_off.load(std::memory_order_relaxed);
    info.handed_in = c.handed_in.load(std::memory_order_relaxed);
    for (int r = 0; r < dataplane::kDropReasonCount; ++r) {
      const auto reason = static_cast<dataplane::DropReason>(r);
      if (c.drops_of(reason)) info.drops.push_back(ctl::DropCount{dataplane::DropReasonName(reason), c.drops_of(reason)});
    }
    return info;
  });
  ctl::DataPlaneInfo out;
  out.io = io_description_;
  for (size_t i = 0; i < answers.size(); ++i) {
    // A worker that does not answer in time is described by what it serves alone.
    ctl::WorkerInfo info = answers[i].value_or(ctl::WorkerInfo{});
    info.id = static_cast<uint32_t>(i);
    if (i < queues_.size()) info.queues = queues_[i];
    out.workers.push_back(std::move(info));
  }
  return out;
}

std::vector<WorkerView> WorkerPool::ObserveWorkers() {
  std::vector<WorkerView> out;
  for (size_t i = 0; i < workers_.size(); ++i) {
    const dataplane::WorkerCounters& c = workers_[i]->counters();
    auto read = [](const std::atomic<uint64_t>& v) { return v.load(std::memory_order_relaxed); };
    WorkerView w;
    w.id = static_cast<uint32_t>(i);
    for (const ctl::WorkerQueue& q : i < queues_.size() ? queues_[i] : std::vector<ctl::WorkerQueue>{}) {
      w.queues += (w.queues.empty() ? "" : " ") + q.iface;
      if (q.queue != ctl::kEveryQueue) w.queues += " queue " + std::to_string(q.queue);
    }
    w.connections = read(c.connections);
    w.connection_capacity = workers_[i]->conns().capacity();
    w.rx = read(c.rx);
    w.tx = read(c.tx);
    w.passed = read(c.passed);
    w.icmp_sent = read(c.icmp_sent);
    w.resets_sent = read(c.resets_sent);
    w.checksums_completed = read(c.checksums_completed);
    w.handed_off = read(c.handed_off);
    w.handed_in = read(c.handed_in);
    w.entries_dropped = read(c.entries_dropped);
    w.table_short = read(c.table_short);
    w.syn_cookies_sent = read(c.syn_cookies_sent);
    w.synproxy_opened = read(c.synproxy_opened);
    w.flows_offloaded = read(c.flows_offloaded);
    w.flows_withdrawn = read(c.flows_withdrawn);
    w.offloaded_packets = read(c.offloaded_packets);
    w.polls = read(c.polls);
    for (int r = 0; r < dataplane::kDropReasonCount; ++r) {
      const auto reason = static_cast<dataplane::DropReason>(r);
      w.drops.push_back(NamedCount{dataplane::DropReasonName(reason), c.drops_of(reason)});
    }
    out.push_back(std::move(w));
  }
  return out;
}

BackendView WorkerPool::ObserveBackend() {
  return BackendView{io_description_, io_counters_ ? io_counters_() : std::vector<NamedCount>{}, adopted_};
}

SyncSlice WorkerPool::SyncDumpSlice(const ctl::ConnCursor& from, size_t max) {
  const core::Timeouts* timeouts = timeouts_;
  Page<core::SyncRecord> page = PageThrough<core::SyncRecord>(from, max, [timeouts](const core::ConnEntry& e) {
    // The timeout sent is the entry's full one, as in every sync message (the kernel's
    // cp->timeout): a template's is its persistence timeout.
    return core::MakeSyncRecord(e, core::EntryTimeout(e, *timeouts));
  });
  return SyncSlice{std::move(page.entries), page.next, page.more};
}

void WorkerPool::OnServicesChanged(const core::ServiceTable& table, const std::vector<net::IpAddr>& local_addrs) {
  // Ask for every new or changed real server's next hop now: an unresolved neighbour is
  // resolved in the background, so without this the first packet to a new server would be
  // dropped. Only the services that changed are walked.
  core::ServiceMap::Diff(routed_, table.map(), [&](const core::Service*, const core::Service* after) {
    if (!after) return;
    for (const core::DestPtr& d : after->dests) {
      net::NextHop hop;
      router_->Lookup(d->family(), d->addr().raw, &hop);
    }
  });
  routed_ = table.map();
  io::TrafficFilterChange change = filter_tracker_.Update(table);
  if (local_addrs != filter_locals_) {
    change.local_addrs = local_addrs;
    filter_locals_ = local_addrs;
  }
  if (!update_filter_) return;
  if (Status st = update_filter_(change); !st) {
    Log(LogLevel::kError, "cannot update the packet filter: %s", st.error().message.c_str());
  }
}

uint64_t WorkerPool::OldestGeneration() {
  uint64_t oldest = UINT64_MAX;
  for (auto& w : workers_) oldest = std::min(oldest, w->seen_generation());
  return oldest;
}

}  // namespace ipvsd::daemon
