// File: daemon/status_page.h
//
// The status page of ipvsd's metrics address, in the spirit of HAProxy's stats page: the
// director (version, uptime, totals, packet I/O, workers, drops, sync, control requests) and
// one table per virtual service with its real servers and a graph of its conns/s over the
// last five minutes. Everything is inline (CSS, script, SVG): the page loads nothing from
// elsewhere. Without JavaScript it is a complete server-rendered page that refreshes itself
// every 5 s (<noscript> meta refresh); with JavaScript its script fetches `?format=json`
// (StatusPageJson) every 2 s and re-renders the same markup in place.
//
// DOM contract (the same for the server-rendered page and the script's re-render; tests of
// the running daemon rely on it):
//   <div id="overview">   the director's tables;
//   <div id="services">   one <section class="svc"> per service, in the order they were added:
//     <table class="service" data-service="NAME">          NAME = ServiceView::name
//       <caption>NAME, scheduler, "persistent N s" when persistent</caption>
//       <tbody> one row per real server, in ipvsadm's order:
//         <tr class="rs" data-rs="ADDR:PORT">               IPv6 as [ADDR]:PORT
//           <td class="KEY"> for KEY in: address forward state weight active inactive cps
//           inpps outpps inbps outbps conns inpkts outpkts inbytes outbytes
//           address is ADDR:PORT, forward as ipvsadm prints it (Masq, Route, ...), state exactly
//           one of up, down, inhibited, drained (also in the cell's data-state, which colours
//           it); every other cell is a plain decimal number (no unit, no separators), as
//           `ipvsadm -Ln --stats --exact` and `--rate` print them (after a re-render, exact up
//           to 2^53: the script's numbers are JavaScript's).
//       <tfoot><tr class="summary"> the service's own traffic, with the same cell classes
//         (active and inactive summed over its real servers).
//     <svg class="graph"> its conns/s history (a polyline; <text class="max"> labels the max).
//   <span id="updated">   "updated HH:MM:SS UTC" (the observation's time) as served, then
//                         "updated HH:MM:SS" in local time from each refresh of the script.
//
// JSON (StatusPageJson), "traffic" being {conns, inpkts, outpkts, inbytes, outbytes, cps,
// inpps, outpps, inbps, outbps} and {name: count} objects keeping the model's order:
//   {version, start_time, now, uptime_seconds, totals: traffic, io, backend: {name: count},
//    workers: [{id, queues, connections, connection_capacity, rx, tx, passed, icmp_sent,
//               resets_sent, checksums_completed, handed_off, handed_in, entries_dropped,
//               table_short, syn_cookies_sent, synproxy_opened, drops: {reason: count}}],
//    drops: {reason: sum over the workers},
//    sync: {master, backup, master_counters: {..}, backup_counters: {..}},
//    control: {requests: {..}, errors: {..}},
//    services: [{name, proto, family, address, port, fwmark, scheduler, persistent,
//                persistence_timeout, traffic, cps_history: [..],
//                real_servers: [{address, port, forward, state, weight, active, inactive,
//                                persistent, in_table, traffic}]}]}
// A fwmark service's address and port are null.
#pragma once

#include <string>

#include "daemon/observation.h"

namespace ipvsd::daemon {

// The whole page: HTML with its CSS and script inline (nothing loaded from elsewhere).
std::string StatusPageHtml(const Observation& o);
// The same content as JSON (GET /?format=json), what the page's script fetches.
std::string StatusPageJson(const Observation& o);

}  // namespace ipvsd::daemon
