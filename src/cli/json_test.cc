#include "cli/json.h"

#include <gtest/gtest.h>

namespace ipvsd::cli {
namespace {

TEST(JsonTest, TheWholeTableDescribesTheDataPlaneWorkerByWorker) {
  ctl::DataPlaneInfo d;
  d.io = "AF_XDP native copy-mode";
  d.workers.push_back(ctl::WorkerInfo{0, {{"d0", 0}, {"d0", 2}}, 7, 100, 98, 2, 40, 38, {{"no_route", 2}}});
  d.workers.push_back(ctl::WorkerInfo{1, {{"d1", ctl::kEveryQueue}}, 0, 0, 0, 0, 0, 0});
  EXPECT_EQ(TableJson(ctl::InfoReply{ctl::kIpvsVersionCode, 4096, 0}, {}, d),
            R"({
  "version": "1.2.1",
  "conn_tab_size": 4096,
  "services": [],
  "data_plane": {
    "io": "AF_XDP native copy-mode",
    "workers": [
      {
        "worker": 0,
        "queues": [
          {
            "interface": "d0",
            "queue": 0
          },
          {
            "interface": "d0",
            "queue": 2
          }
        ],
        "connections": 7,
        "rx_packets": 100,
        "tx_packets": 98,
        "dropped": 2,
        "handed_off": 40,
        "handed_in": 38,
        "drops": {
          "no_route": 2
        }
      },
      {
        "worker": 1,
        "queues": [
          {
            "interface": "d1",
            "queue": "all"
          }
        ],
        "connections": 0,
        "rx_packets": 0,
        "tx_packets": 0,
        "dropped": 0,
        "handed_off": 0,
        "handed_in": 0,
        "drops": {}
      }
    ]
  }
}
)");
}

}  // namespace
}  // namespace ipvsd::cli
