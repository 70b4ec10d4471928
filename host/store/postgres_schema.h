// The PostgreSQL run store's schema, as the migrations that build it: kPostgresMigrations[i]
// takes a database from schema version i to i + 1 (version 0: no stratrun tables). To
// change the schema, append one migration; never edit one that has shipped.
//
// Version 1 holds what SqliteRunStore's schema version 2 holds, with PostgreSQL types:
//   strategy_run     one row per run: every RunRecord field. Times are timestamptz,
//                    written and read as whole milliseconds since the epoch (exact); an
//                    unset optional time and an empty error are NULL. created_seq numbers
//                    runs in creation order (ties of created_at).
//   strategy_result  (run_id, ticker) → score (NULL for NaN), passed, metrics_json (json:
//                    an object, kept as written, so in the plugin's order; NaN as null),
//                    reasons_json (json: an array).
//   run_event        (run_id, seq) → event_type, json (ToJson(event), exactly as streamed).
// Results and events reference strategy_run with ON DELETE CASCADE. Ids, strategy codes
// and tickers are COLLATE "C", so they sort byte by byte (as in SQLite) whatever the
// database's locale. schema_version holds one row per applied migration.
//
// Version 2 adds stratrun_instance (one lease per instance of a cluster: ClusterStore) and
// an index of the queued runs no instance has claimed yet.
//
// SQL is written only inside host/store/.
#pragma once

#include <iterator>
#include <string_view>

namespace stratrun {

inline constexpr std::string_view kPostgresMigrations[] = {
    // 1: runs, results, events.
    R"sql(
CREATE TABLE strategy_run (
  run_id           text COLLATE "C" PRIMARY KEY,
  strategy_code    text COLLATE "C" NOT NULL,
  plugin_version   text NOT NULL DEFAULT '',
  plugin_sha256    text NOT NULL DEFAULT '',
  parameters_json  text NOT NULL DEFAULT '{}',
  status           text NOT NULL,
  priority         text NOT NULL DEFAULT 'normal',
  source           text NOT NULL DEFAULT 'cli',
  error_code       text,
  error_message    text,
  created_at       timestamptz NOT NULL,
  started_at       timestamptz,
  finished_at      timestamptz,
  total_items      bigint NOT NULL DEFAULT 0,
  completed_items  bigint NOT NULL DEFAULT 0,
  result_count     bigint NOT NULL DEFAULT 0,
  passed_count     bigint NOT NULL DEFAULT 0,
  progress_percent double precision NOT NULL DEFAULT 0,
  current_stage    text NOT NULL DEFAULT '',
  owner            text NOT NULL DEFAULT '',
  timeout_seconds  bigint,
  created_seq      bigint GENERATED ALWAYS AS IDENTITY UNIQUE
);
CREATE INDEX strategy_run_by_created ON strategy_run (created_at, created_seq);
CREATE INDEX strategy_run_by_status ON strategy_run (status, created_at, created_seq);
CREATE INDEX strategy_run_by_strategy ON strategy_run (strategy_code, created_at, created_seq);
CREATE INDEX strategy_run_by_strategy_finished ON strategy_run (strategy_code, status, finished_at);

CREATE TABLE strategy_result (
  run_id       text COLLATE "C" NOT NULL REFERENCES strategy_run (run_id) ON DELETE CASCADE,
  ticker       text COLLATE "C" NOT NULL,
  score        double precision,
  passed       boolean NOT NULL,
  metrics_json json NOT NULL DEFAULT '{}',
  reasons_json json NOT NULL DEFAULT '[]',
  PRIMARY KEY (run_id, ticker)
);
CREATE INDEX strategy_result_by_passed_score ON strategy_result (run_id, passed, score);

CREATE TABLE run_event (
  run_id     text COLLATE "C" NOT NULL REFERENCES strategy_run (run_id) ON DELETE CASCADE,
  seq        bigint NOT NULL,
  event_type text NOT NULL,
  json       text NOT NULL,
  PRIMARY KEY (run_id, seq)
);
)sql",
    // 2: instance leases and the shared queue's index.
    R"sql(
CREATE TABLE stratrun_instance (
  instance_id    text COLLATE "C" PRIMARY KEY,
  name           text NOT NULL,
  max_concurrent integer NOT NULL,
  started_at     timestamptz NOT NULL DEFAULT now(),
  heartbeat_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX strategy_run_unclaimed ON strategy_run (created_at, created_seq) WHERE status = 'queued' AND owner = '';
)sql",
};

/// The schema version this build creates and understands.
inline constexpr int kPostgresSchemaVersion = static_cast<int>(std::size(kPostgresMigrations));

}  // namespace stratrun
