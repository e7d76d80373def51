#include "daemon/status_page.h"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

namespace ipvsd::daemon {
namespace {

using nlohmann::ordered_json;

struct Column {
  const char* key;  // the cell's class and the JSON field it shows
  const char* heading;
};

struct TrafficColumn {
  const char* key;
  const char* heading;
  uint64_t TrafficCounters::*field;
};

// Rates first, then the counters since `ipvsadm -Z`: the columns of every traffic row, and
// the fields of every "traffic" JSON object.
constexpr TrafficColumn kTrafficColumns[] = {
    {"cps", "Conns/s", &TrafficCounters::cps},           {"inpps", "Pkts/s in", &TrafficCounters::inpps},
    {"outpps", "Pkts/s out", &TrafficCounters::outpps},  {"inbps", "Bytes/s in", &TrafficCounters::inbps},
    {"outbps", "Bytes/s out", &TrafficCounters::outbps}, {"conns", "Conns", &TrafficCounters::conns},
    {"inpkts", "Pkts in", &TrafficCounters::inpkts},     {"outpkts", "Pkts out", &TrafficCounters::outpkts},
    {"inbytes", "Bytes in", &TrafficCounters::inbytes},  {"outbytes", "Bytes out", &TrafficCounters::outbytes},
};

struct WorkerColumn {
  const char* key;
  const char* heading;
  uint64_t WorkerView::*field;
};

// A worker's counters, between its id and queues and its drops.
constexpr WorkerColumn kWorkerCounterColumns[] = {
    {"connections", "Conns", &WorkerView::connections},
    {"connection_capacity", "Capacity", &WorkerView::connection_capacity},
    {"rx", "RX", &WorkerView::rx},
    {"tx", "TX", &WorkerView::tx},
    {"passed", "Passed", &WorkerView::passed},
    {"icmp_sent", "ICMP sent", &WorkerView::icmp_sent},
    {"resets_sent", "RSTs sent", &WorkerView::resets_sent},
    {"checksums_completed", "Csums completed", &WorkerView::checksums_completed},
    {"handed_off", "Handed off", &WorkerView::handed_off},
    {"handed_in", "Handed in", &WorkerView::handed_in},
    {"entries_dropped", "Entries dropped", &WorkerView::entries_dropped},
    {"table_short", "Table short", &WorkerView::table_short},
    {"syn_cookies_sent", "SYN cookies", &WorkerView::syn_cookies_sent},
    {"synproxy_opened", "SYN proxy opened", &WorkerView::synproxy_opened},
    {"flows_offloaded", "Flows offloaded", &WorkerView::flows_offloaded},
    {"flows_withdrawn", "Flows withdrawn", &WorkerView::flows_withdrawn},
    {"offloaded_packets", "Offloaded pkts", &WorkerView::offloaded_packets},
};

std::vector<Column> TrafficColumns() {
  std::vector<Column> columns;
  for (const TrafficColumn& c : kTrafficColumns) columns.push_back({c.key, c.heading});
  return columns;
}

std::vector<Column> RealServerColumns() {
  std::vector<Column> columns = {{"address", "Address"}, {"forward", "Forward"},  {"state", "State"},
                                 {"weight", "Weight"},   {"active", "ActiveConn"}, {"inactive", "InActConn"}};
  const std::vector<Column> traffic = TrafficColumns();
  columns.insert(columns.end(), traffic.begin(), traffic.end());
  return columns;
}

std::vector<Column> WorkerColumns() {
  std::vector<Column> columns = {{"id", "Worker"}, {"queues", "Queues"}};
  for (const WorkerColumn& c : kWorkerCounterColumns) columns.push_back({c.key, c.heading});
  columns.push_back({"drops", "Drops"});
  return columns;
}

// The conns/s graph: one point every kGraphStep pixels, the newest at the right edge, the
// plot below a line of labels.
constexpr int kTickSeconds = 2;  // the estimator's
constexpr int kGraphStep = 2;
constexpr int kGraphWidth = kGraphStep * (static_cast<int>(kHistoryPoints) - 1);
constexpr int kGraphHeight = 60;
constexpr int kPlotHeight = 44;
constexpr int kPlotBottom = kGraphHeight - 2;

std::string GraphLabel() {
  return "conns/s, last " + std::to_string(kHistoryPoints * kTickSeconds / 60) + " min";
}

// Text for HTML content and attribute values alike.
std::string Escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

uint64_t UptimeSeconds(const Observation& o) {
  return o.now > o.start_time ? static_cast<uint64_t>(o.now - o.start_time) : 0;
}

// "2h 3m 4s": the larger units from the first non-zero one.
std::string UptimeText(uint64_t seconds) {
  const std::pair<uint64_t, char> parts[] = {
      {seconds / 86400, 'd'}, {seconds / 3600 % 24, 'h'}, {seconds / 60 % 60, 'm'}};
  std::string text;
  for (const auto& [count, unit] : parts) {
    if (!text.empty() || count) text += std::to_string(count) + unit + ' ';
  }
  return text + std::to_string(seconds % 60) + 's';
}

std::string ClockUtc(double epoch_seconds) {
  const std::time_t t = static_cast<std::time_t>(epoch_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[16];
  std::strftime(text, sizeof text, "%H:%M:%S", &tm);
  return text;
}

std::vector<NamedCount> DropTotals(const std::vector<WorkerView>& workers) {
  std::vector<NamedCount> totals;
  for (const WorkerView& w : workers) {
    for (const NamedCount& drop : w.drops) {
      auto it = std::find_if(totals.begin(), totals.end(), [&](const NamedCount& t) { return t.name == drop.name; });
      if (it == totals.end()) {
        totals.push_back(drop);
      } else {
        it->value += drop.value;
      }
    }
  }
  return totals;
}

uint64_t Sum(const std::vector<NamedCount>& counts) {
  uint64_t sum = 0;
  for (const NamedCount& c : counts) sum += c.value;
  return sum;
}

// ---- HTML. Every piece below has its twin in kScript, which must produce the same markup.

std::string Cell(std::string_view key, std::string_view text) {
  return "<td class=\"" + std::string(key) + "\">" + Escape(text) + "</td>";
}

std::string Cell(std::string_view key, uint64_t number) { return Cell(key, std::to_string(number)); }

std::string Head(const std::vector<Column>& columns) {
  std::string html = "<thead><tr>";
  for (const Column& c : columns) html += "<th>" + Escape(c.heading) + "</th>";
  return html + "</tr></thead>";
}

std::string NoneRow(size_t columns) {
  return "<tr><td class=\"none\" colspan=\"" + std::to_string(columns) + "\">none</td></tr>";
}

std::string TrafficCells(const TrafficCounters& t) {
  std::string html;
  for (const TrafficColumn& c : kTrafficColumns) html += Cell(c.key, t.*c.field);
  return html;
}

// A name/count table; `id` tells the tables apart (data-counts).
std::string CountsTable(std::string_view id, std::string_view caption, const std::vector<NamedCount>& counts) {
  std::string html = "<table class=\"counts\" data-counts=\"" + std::string(id) + "\"><caption>" +
                     std::string(caption) + "</caption><tbody>";
  for (const NamedCount& c : counts) {
    html += "<tr><th>" + Escape(c.name) + "</th><td>" + std::to_string(c.value) + "</td></tr>";
  }
  if (counts.empty()) html += NoneRow(2);
  return html + "</tbody></table>";
}

std::string InfoTable(const Observation& o) {
  return "<table class=\"info\"><caption>ipvsd</caption><tbody><tr><th>Version</th>" + Cell("version", o.version) +
         "</tr><tr><th>Uptime</th>" + Cell("uptime", UptimeText(UptimeSeconds(o))) + "</tr><tr><th>Packet I/O</th>" +
         Cell("io", o.backend.io.empty() ? "none (control plane only)" : o.backend.io) + "</tr></tbody></table>";
}

std::string TotalsTable(const TrafficCounters& totals) {
  return "<table class=\"totals\"><caption>Totals</caption>" + Head(TrafficColumns()) + "<tbody><tr>" +
         TrafficCells(totals) + "</tr></tbody></table>";
}

std::string WorkersTable(const std::vector<WorkerView>& workers) {
  const std::vector<Column> columns = WorkerColumns();
  std::string html = "<table class=\"workers\"><caption>Workers</caption>" + Head(columns) + "<tbody>";
  for (const WorkerView& w : workers) {
    html += "<tr data-worker=\"" + std::to_string(w.id) + "\">" + Cell("id", w.id) + Cell("queues", w.queues);
    for (const WorkerColumn& c : kWorkerCounterColumns) html += Cell(c.key, w.*c.field);
    html += Cell("drops", Sum(w.drops)) + "</tr>";
  }
  if (workers.empty()) html += NoneRow(columns.size());
  return html + "</tbody></table>";
}

std::string OverviewHtml(const Observation& o) {
  std::vector<NamedCount> drops = DropTotals(o.workers);
  std::erase_if(drops, [](const NamedCount& d) { return d.value == 0; });
  std::string html = InfoTable(o) + TotalsTable(o.totals) +
                     CountsTable("backend", "Packet I/O counters", o.backend.counters) + WorkersTable(o.workers) +
                     CountsTable("drops", "Drops", drops);
  if (o.sync.master) html += CountsTable("sync-master", "Sync master", o.sync.master_counters);
  if (o.sync.backup) html += CountsTable("sync-backup", "Sync backup", o.sync.backup_counters);
  return html + CountsTable("control-requests", "Control requests", o.control.requests) +
         CountsTable("control-errors", "Control errors", o.control.errors);
}

std::string RealServerRow(const RealServerView& rs) {
  const std::string address = net::Endpoint{rs.addr, rs.port}.ToString();
  return "<tr class=\"rs\" data-rs=\"" + Escape(address) + "\">" + Cell("address", address) +
         Cell("forward", rs.forward) + "<td class=\"state\" data-state=\"" + Escape(rs.state) + "\">" +
         Escape(rs.state) + "</td>" + Cell("weight", std::to_string(rs.weight)) + Cell("active", rs.active) +
         Cell("inactive", rs.inactive) + TrafficCells(rs.traffic) + "</tr>";
}

// The service's own traffic; the connection counts are its real servers'.
std::string SummaryRow(const ServiceView& s) {
  uint64_t active = 0;
  uint64_t inactive = 0;
  for (const RealServerView& rs : s.real_servers) {
    active += rs.active;
    inactive += rs.inactive;
  }
  return "<tr class=\"summary\">" + Cell("address", "service") + Cell("forward", "") + Cell("state", "") +
         Cell("weight", "") + Cell("active", active) + Cell("inactive", inactive) + TrafficCells(s.traffic) + "</tr>";
}

std::string Caption(const ServiceView& s) {
  std::string html = Escape(s.name) + " <span class=\"sched\">" + Escape(s.scheduler) + "</span>";
  if (s.persistent) {
    html += " <span class=\"persistence\">persistent " + std::to_string(s.persistence_timeout) + " s</span>";
  }
  return html;
}

std::string GraphSvg(const std::vector<uint64_t>& history) {
  const uint64_t max = history.empty() ? 0 : *std::max_element(history.begin(), history.end());
  std::string points;
  for (size_t i = 0; i < history.size(); ++i) {
    const int64_t x = kGraphWidth - kGraphStep * static_cast<int64_t>(history.size() - 1 - i);
    // Computed as the script computes it (doubles, rounded), so both draw the same points.
    const int64_t height =
        max ? std::llround(static_cast<double>(history[i]) * kPlotHeight / static_cast<double>(max)) : 0;
    if (!points.empty()) points += ' ';
    points += std::to_string(x) + ',' + std::to_string(kPlotBottom - height);
  }
  const std::string width = std::to_string(kGraphWidth);
  const std::string height = std::to_string(kGraphHeight);
  return "<svg class=\"graph\" viewBox=\"0 0 " + width + " " + height + "\" width=\"" + width + "\" height=\"" +
         height + "\"><polyline points=\"" + points + "\"/><text x=\"2\" y=\"10\">" + GraphLabel() +
         "</text><text class=\"max\" x=\"" + std::to_string(kGraphWidth - 2) + "\" y=\"10\" text-anchor=\"end\">max " +
         std::to_string(max) + "</text></svg>";
}

std::string ServiceSection(const ServiceView& s) {
  const std::vector<Column> columns = RealServerColumns();
  std::string html = "<section class=\"svc\"><table class=\"service\" data-service=\"" + Escape(s.name) +
                     "\"><caption>" + Caption(s) + "</caption>" + Head(columns) + "<tbody>";
  for (const RealServerView& rs : s.real_servers) html += RealServerRow(rs);
  if (s.real_servers.empty()) html += NoneRow(columns.size());
  return html + "</tbody><tfoot>" + SummaryRow(s) + "</tfoot></table>" + GraphSvg(s.cps_history) + "</section>";
}

std::string ServicesHtml(const Observation& o) {
  if (o.services.empty()) return "<p class=\"none\">no virtual services</p>";
  std::string html;
  for (const ServiceView& s : o.services) html += ServiceSection(s);
  return html;
}

ordered_json ColumnsJson(const std::vector<Column>& columns) {
  ordered_json list = ordered_json::array();
  for (const Column& c : columns) list.push_back({c.key, c.heading});
  return list;
}

// What the script shares with the C++ renderer: column keys and headings, graph geometry.
std::string ScriptLayout() {
  const ordered_json layout = {
      {"rs", ColumnsJson(RealServerColumns())},
      {"traffic", ColumnsJson(TrafficColumns())},
      {"worker", ColumnsJson(WorkerColumns())},
      {"graph",
       {{"width", kGraphWidth}, {"height", kGraphHeight}, {"step", kGraphStep}, {"plot", kPlotHeight},
        {"bottom", kPlotBottom}, {"label", GraphLabel()}}},
  };
  return layout.dump();
}

constexpr const char* kStyle = R"(
body{font:13px/1.35 system-ui,sans-serif;margin:1em;color:#222}
header{display:flex;gap:1.5em;align-items:baseline}
h1{font-size:1.4em;margin:0}
#updated{color:#666}#updated.stale{color:#c62828}
#overview,.svc{display:flex;flex-wrap:wrap;gap:1em;align-items:flex-start;margin:1em 0}
table{border-collapse:collapse}
caption{text-align:left;font-weight:bold;padding:.2em 0;white-space:nowrap}
caption span{font-weight:normal;color:#555;margin-left:.6em}
th,td{border:1px solid #ccc;padding:.1em .5em;text-align:right}
th{background:#e8ecf4;font-weight:600}
.counts th,.info th,td.address,td.forward,td.queues,td.io,td.version{text-align:left}
tbody tr:nth-child(even){background:#f6f6f6}
tfoot td{font-weight:bold;background:#eef}
td[data-state]{text-align:center;color:#fff}
td[data-state=up]{background:#2e7d32}td[data-state=down]{background:#c62828}
td[data-state=inhibited]{background:#ef8c00}td[data-state=drained]{background:#888}
.none{color:#888;text-align:center}
.graph{border:1px solid #ccc;background:#fafafa}
.graph polyline{fill:none;stroke:#1e63b8;stroke-width:1.5}
.graph text{font-size:10px;fill:#555}
)";

// Renders the JSON as the functions above render the Observation, then swaps it in. Runs
// after LAYOUT (ScriptLayout()) is defined.
constexpr const char* kScript = R"(
(() => {
  'use strict';
  const ESCAPES = {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'};
  const esc = v => String(v).replace(/[&<>"']/g, c => ESCAPES[c]);
  const sum = values => values.reduce((a, b) => a + b, 0);
  const cell = (key, v) => `<td class="${key}">${esc(v)}</td>`;
  const head = columns => `<thead><tr>${columns.map(([, h]) => `<th>${esc(h)}</th>`).join('')}</tr></thead>`;
  const noneRow = columns => `<tr><td class="none" colspan="${columns}">none</td></tr>`;
  const trafficCells = t => LAYOUT.traffic.map(([k]) => cell(k, t[k])).join('');

  const uptimeText = s => {
    let text = '';
    for (const [count, unit] of [[Math.floor(s / 86400), 'd'], [Math.floor(s / 3600) % 24, 'h'],
                                 [Math.floor(s / 60) % 60, 'm']]) {
      if (text || count) text += `${count}${unit} `;
    }
    return `${text}${s % 60}s`;
  };

  const countsTable = (id, caption, entries) =>
    `<table class="counts" data-counts="${id}"><caption>${caption}</caption><tbody>` +
    entries.map(([name, v]) => `<tr><th>${esc(name)}</th><td>${v}</td></tr>`).join('') +
    (entries.length ? '' : noneRow(2)) + '</tbody></table>';

  const infoTable = o =>
    `<table class="info"><caption>ipvsd</caption><tbody><tr><th>Version</th>${cell('version', o.version)}` +
    `</tr><tr><th>Uptime</th>${cell('uptime', uptimeText(o.uptime_seconds))}</tr><tr><th>Packet I/O</th>` +
    `${cell('io', o.io || 'none (control plane only)')}</tr></tbody></table>`;

  const totalsTable = t =>
    `<table class="totals"><caption>Totals</caption>${head(LAYOUT.traffic)}` +
    `<tbody><tr>${trafficCells(t)}</tr></tbody></table>`;

  const workerRow = w => `<tr data-worker="${w.id}">` +
    LAYOUT.worker.map(([k]) => cell(k, k === 'drops' ? sum(Object.values(w.drops)) : w[k])).join('') + '</tr>';
  const workersTable = workers =>
    `<table class="workers"><caption>Workers</caption>${head(LAYOUT.worker)}<tbody>` +
    workers.map(workerRow).join('') + (workers.length ? '' : noneRow(LAYOUT.worker.length)) + '</tbody></table>';

  const overviewHtml = o => {
    let html = infoTable(o) + totalsTable(o.totals) +
      countsTable('backend', 'Packet I/O counters', Object.entries(o.backend)) + workersTable(o.workers) +
      countsTable('drops', 'Drops', Object.entries(o.drops).filter(([, v]) => v));
    if (o.sync.master) html += countsTable('sync-master', 'Sync master', Object.entries(o.sync.master_counters));
    if (o.sync.backup) html += countsTable('sync-backup', 'Sync backup', Object.entries(o.sync.backup_counters));
    return html + countsTable('control-requests', 'Control requests', Object.entries(o.control.requests)) +
      countsTable('control-errors', 'Control errors', Object.entries(o.control.errors));
  };

  const realServerRow = rs => {
    const address = rs.address.includes(':') ? `[${rs.address}]:${rs.port}` : `${rs.address}:${rs.port}`;
    return `<tr class="rs" data-rs="${esc(address)}">${cell('address', address)}${cell('forward', rs.forward)}` +
      `<td class="state" data-state="${esc(rs.state)}">${esc(rs.state)}</td>${cell('weight', rs.weight)}` +
      `${cell('active', rs.active)}${cell('inactive', rs.inactive)}${trafficCells(rs.traffic)}</tr>`;
  };

  const summaryRow = s =>
    `<tr class="summary">${cell('address', 'service')}${cell('forward', '')}${cell('state', '')}${cell('weight', '')}` +
    `${cell('active', sum(s.real_servers.map(rs => rs.active)))}` +
    `${cell('inactive', sum(s.real_servers.map(rs => rs.inactive)))}${trafficCells(s.traffic)}</tr>`;

  const caption = s => `${esc(s.name)} <span class="sched">${esc(s.scheduler)}</span>` +
    (s.persistent ? ` <span class="persistence">persistent ${s.persistence_timeout} s</span>` : '');

  const graphSvg = history => {
    const g = LAYOUT.graph;
    const max = Math.max(0, ...history);
    const points = history.map((v, i) =>
      `${g.width - g.step * (history.length - 1 - i)},${g.bottom - (max ? Math.round(v * g.plot / max) : 0)}`);
    return `<svg class="graph" viewBox="0 0 ${g.width} ${g.height}" width="${g.width}" height="${g.height}">` +
      `<polyline points="${points.join(' ')}"/><text x="2" y="10">${g.label}</text>` +
      `<text class="max" x="${g.width - 2}" y="10" text-anchor="end">max ${max}</text></svg>`;
  };

  const serviceSection = s =>
    `<section class="svc"><table class="service" data-service="${esc(s.name)}"><caption>${caption(s)}</caption>` +
    head(LAYOUT.rs) + '<tbody>' + s.real_servers.map(realServerRow).join('') +
    (s.real_servers.length ? '' : noneRow(LAYOUT.rs.length)) +
    `</tbody><tfoot>${summaryRow(s)}</tfoot></table>${graphSvg(s.cps_history)}</section>`;

  const servicesHtml = o =>
    o.services.length ? o.services.map(serviceSection).join('') : '<p class="none">no virtual services</p>';

  const updated = document.getElementById('updated');
  let lastUpdate = updated.textContent;
  const refresh = async () => {
    try {
      const reply = await fetch('?format=json', {cache: 'no-store'});
      if (!reply.ok) throw new Error(`HTTP ${reply.status}`);
      const o = await reply.json();
      document.getElementById('overview').innerHTML = overviewHtml(o);
      document.getElementById('services').innerHTML = servicesHtml(o);
      lastUpdate = `updated ${new Date(o.now * 1000).toTimeString().slice(0, 8)}`;
      updated.textContent = lastUpdate;
      updated.className = '';
    } catch (e) {
      updated.textContent = `${lastUpdate}, refresh failed (${e.message})`;
      updated.className = 'stale';
    }
    setTimeout(refresh, 2000);
  };
  setTimeout(refresh, 2000);
})();
)";

ordered_json TrafficJson(const TrafficCounters& t) {
  ordered_json j = ordered_json::object();
  for (const TrafficColumn& c : kTrafficColumns) j[c.key] = t.*c.field;
  return j;
}

ordered_json CountsJson(const std::vector<NamedCount>& counts) {
  ordered_json j = ordered_json::object();
  for (const NamedCount& c : counts) j[c.name] = c.value;
  return j;
}

ordered_json WorkerJson(const WorkerView& w) {
  ordered_json j = {{"id", w.id}, {"queues", w.queues}};
  for (const WorkerColumn& c : kWorkerCounterColumns) j[c.key] = w.*c.field;
  j["drops"] = CountsJson(w.drops);
  return j;
}

ordered_json RealServerJson(const RealServerView& rs) {
  return {{"address", rs.addr.ToString()}, {"port", rs.port},         {"forward", rs.forward},
          {"state", rs.state},             {"weight", rs.weight},     {"active", rs.active},
          {"inactive", rs.inactive},       {"persistent", rs.persistent}, {"in_table", rs.in_table},
          {"traffic", TrafficJson(rs.traffic)}};
}

ordered_json ServiceJson(const ServiceView& s) {
  ordered_json real_servers = ordered_json::array();
  for (const RealServerView& rs : s.real_servers) real_servers.push_back(RealServerJson(rs));
  // A fwmark service matches packets by their mark, not by an address and port.
  return {{"name", s.name},
          {"proto", s.proto},
          {"family", s.family == net::Family::kInet6 ? "ipv6" : "ipv4"},
          {"address", s.fwmark ? ordered_json(nullptr) : ordered_json(s.addr.ToString())},
          {"port", s.fwmark ? ordered_json(nullptr) : ordered_json(s.port)},
          {"fwmark", s.fwmark},
          {"scheduler", s.scheduler},
          {"persistent", s.persistent},
          {"persistence_timeout", s.persistence_timeout},
          {"traffic", TrafficJson(s.traffic)},
          {"cps_history", s.cps_history},
          {"real_servers", std::move(real_servers)}};
}

}  // namespace

std::string StatusPageHtml(const Observation& o) {
  return std::string(R"(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>ipvsd status</title>
<meta name="viewport" content="width=device-width">
<noscript><meta http-equiv="refresh" content="5"></noscript>
<style>)") + kStyle +
         "</style></head><body>\n<header><h1>ipvsd</h1><span id=\"updated\">updated " + ClockUtc(o.now) +
         " UTC</span></header>\n<div id=\"overview\">" + OverviewHtml(o) + "</div>\n<div id=\"services\">" +
         ServicesHtml(o) + "</div>\n<script>\nconst LAYOUT = " + ScriptLayout() + ";" + kScript +
         "</script>\n</body></html>\n";
}

std::string StatusPageJson(const Observation& o) {
  ordered_json workers = ordered_json::array();
  for (const WorkerView& w : o.workers) workers.push_back(WorkerJson(w));
  ordered_json services = ordered_json::array();
  for (const ServiceView& s : o.services) services.push_back(ServiceJson(s));
  const ordered_json j = {
      {"version", o.version},
      {"start_time", o.start_time},
      {"now", o.now},
      {"uptime_seconds", UptimeSeconds(o)},
      {"totals", TrafficJson(o.totals)},
      {"io", o.backend.io},
      {"backend", CountsJson(o.backend.counters)},
      {"workers", std::move(workers)},
      {"drops", CountsJson(DropTotals(o.workers))},
      {"sync",
       {{"master", o.sync.master},
        {"backup", o.sync.backup},
        {"master_counters", CountsJson(o.sync.master_counters)},
        {"backup_counters", CountsJson(o.sync.backup_counters)}}},
      {"control", {{"requests", CountsJson(o.control.requests)}, {"errors", CountsJson(o.control.errors)}}},
      {"services", std::move(services)},
  };
  // Replaces bytes that are not UTF-8 (in a name from the model) rather than throwing.
  return j.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}

}  // namespace ipvsd::daemon
