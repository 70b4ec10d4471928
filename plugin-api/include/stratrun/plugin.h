/*
 * stratrun/plugin.h — the stratrun plugin ABI, version 1.
 *
 * A strategy is a shared library that exports one C function,
 * `stratrun_plugin_entry` (STRATRUN_ENTRY_SYMBOL). The host calls it with the ABI version
 * it speaks; the plugin answers with a static descriptor (code, name, version, parameter
 * schema, stages, and its `run` hook). For each run the host calls `run` with a host API
 * table (emit events, ask for cancellation, read bars, report results, read parameters,
 * log) and an opaque run handle.
 *
 * Rules that hold for every declaration below (see plugin-api/ABI.md):
 *  - Pure C99; no C++ types, exceptions or allocations cross the boundary.
 *  - Names: types `stratrun_*`, hooks the plugin implements `stratrun_plugin_*`,
 *    callbacks the host implements live in `stratrun_host_api`; macros `STRATRUN_*`.
 *  - Every struct that crosses the boundary starts with `uint32_t struct_size`, set by
 *    the side that fills it. Fields are only ever appended, each marked with the minor
 *    version that added it. A reader uses only the fields that fit in both its own
 *    `sizeof` and the other side's `struct_size`; missing fields read as zero.
 *  - A different ABI major is refused; a different minor is accepted and the two sides
 *    use what both know.
 *  - Calls that can fail return `stratrun_status`. Strings are UTF-8, NUL-terminated;
 *    the host replaces every ill-formed sequence in a string a plugin hands it with
 *    U+FFFD (1.1). Every pointer says who owns it (OWNERSHIP:); neither side frees the
 *    other's memory.
 */
#ifndef STRATRUN_PLUGIN_H
#define STRATRUN_PLUGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define STRATRUN_ABI_MAJOR 1
#define STRATRUN_ABI_MINOR 1

/* The one symbol a plugin exports: a function of type stratrun_plugin_entry_fn. */
#define STRATRUN_ENTRY_SYMBOL "stratrun_plugin_entry"

#if defined(_WIN32)
#define STRATRUN_EXPORT __declspec(dllexport)
#else
#define STRATRUN_EXPORT __attribute__((visibility("default")))
#endif

/*
 * True when `s` (a struct the other side filled) is large enough to hold `field`: how a
 * reader tells whether a field added in a later minor is present.
 */
#define STRATRUN_HAS_FIELD(s, type, field) \
  ((s).struct_size >= offsetof(type, field) + sizeof((s).field))

/* ---- status ------------------------------------------------------------------------ */

/* Result of every call that can fail. Fixed width so it is the same on both sides. */
typedef int32_t stratrun_status;
enum {
  STRATRUN_OK = 0,
  STRATRUN_CANCELLED = 1,          /* the run's cancellation token fired */
  STRATRUN_INVALID_ARGUMENT = 2,   /* a null pointer, a bad value, an unknown name */
  STRATRUN_NOT_FOUND = 3,          /* no such ticker / parameter */
  STRATRUN_RESOURCE_EXHAUSTED = 4, /* a limit was reached */
  STRATRUN_UNSUPPORTED = 5,        /* ABI major mismatch, or a call the other side lacks */
  STRATRUN_DATA_ERROR = 6,         /* the data exists but is unusable (bad file, too short) */
  STRATRUN_INTERNAL = 7,           /* anything else; the message says what */
  STRATRUN_RUN_FINISHED = 8        /* 1.1: the run this handle names has ended (a call from a
                                      thread the plugin left running); nothing was done */
};

/* ---- handles ----------------------------------------------------------------------- */

/*
 * One run of one strategy, owned by the host. Usable during the `run` call. Since 1.1 a
 * call with the handle after `run` returned is safe and refused: it returns
 * STRATRUN_RUN_FINISHED (is_cancelled returns true, log drops the line) and never touches
 * the ended run. (A 1.0 host gave no such promise.)
 */
typedef struct stratrun_run_s* stratrun_run;

/* ---- events ------------------------------------------------------------------------ */

typedef int32_t stratrun_event_type;
enum {
  STRATRUN_EVENT_STARTED = 0,          /* host only */
  STRATRUN_EVENT_PROGRESS = 1,
  STRATRUN_EVENT_TICKER_COMPLETED = 2,
  STRATRUN_EVENT_STAGE_COMPLETED = 3,
  STRATRUN_EVENT_COMPLETED = 4,        /* host only */
  STRATRUN_EVENT_ERROR = 5,            /* host only */
  STRATRUN_EVENT_CANCELLED = 6         /* host only */
};

/* A named number: an indicator value in a result, or an extra figure in an event.
 * Passed in arrays, so its size is fixed for all of ABI 1 (it has no struct_size and never
 * grows; see ABI.md). */
typedef struct stratrun_metric {
  const char* name; /* OWNERSHIP: caller; copied by the host during the call */
  double value;     /* NaN means "not available" (stored as null) */
} stratrun_metric;

/*
 * An event a plugin emits. The host stamps seq, timestamp, run_id, rate, ETA and
 * passed_count; the started and terminal events are the host's own (it derives the
 * terminal one from `run`'s status, so every run has exactly one).
 */
typedef struct stratrun_event {
  uint32_t struct_size;
  stratrun_event_type event_type; /* PROGRESS, TICKER_COMPLETED or STAGE_COMPLETED */
  const char* stage;              /* OWNERSHIP: caller; may be NULL (current stage kept) */
  const char* current_item;       /* OWNERSHIP: caller; may be NULL */
  const char* message;            /* OWNERSHIP: caller; may be NULL */
  int64_t total_items;            /* < 0: unknown */
  int64_t completed_items;        /* < 0: unknown; the host shows at most total_items */
  double progress_percent;        /* < 0: host derives it from completed/total; the host
                                     shows 100 only on `completed` (below 100 until then) */
  const stratrun_metric* metrics; /* OWNERSHIP: caller; `metric_count` entries or NULL */
  size_t metric_count;
} stratrun_event;

/* ---- results ----------------------------------------------------------------------- */

/* One row of a screen: a ticker with its score, verdict, indicator values and reasons. */
typedef struct stratrun_result {
  uint32_t struct_size;
  const char* ticker;             /* OWNERSHIP: caller; copied during the call */
  double score;                   /* NaN when the ticker could not be evaluated */
  bool passed;
  const stratrun_metric* metrics; /* OWNERSHIP: caller; `metric_count` entries or NULL */
  size_t metric_count;
  const char* const* reasons;     /* OWNERSHIP: caller; `reason_count` strings or NULL */
  size_t reason_count;
} stratrun_result;

/* ---- market data ------------------------------------------------------------------- */

/*
 * Daily OHLCV bars of one ticker, oldest first, as parallel columns of `count` values.
 * OWNERSHIP: host; every pointer stays valid and unchanged until the run ends.
 */
typedef struct stratrun_bars {
  uint32_t struct_size;
  size_t count;
  const int32_t* day; /* days since 1970-01-01 (UTC calendar date) */
  const double* open;
  const double* high;
  const double* low;
  const double* close;
  const double* adj_close;
  const double* volume;
} stratrun_bars;

/* ---- parameters -------------------------------------------------------------------- */

typedef int32_t stratrun_param_type;
enum {
  STRATRUN_PARAM_INTEGER = 0,
  STRATRUN_PARAM_NUMBER = 1,
  STRATRUN_PARAM_BOOLEAN = 2,
  STRATRUN_PARAM_STRING = 3,
  STRATRUN_PARAM_ENUM = 4,
  STRATRUN_PARAM_STRING_LIST = 5
};

/*
 * The value of one parameter of the current run, validated against the plugin's schema
 * with defaults filled in. The field matching `type` is set; the rest are zero.
 * OWNERSHIP: host; strings stay valid until the run ends.
 */
typedef struct stratrun_param_value {
  uint32_t struct_size;
  stratrun_param_type type;
  int64_t integer_value;
  double number_value; /* also set, converted, for INTEGER */
  bool boolean_value;
  const char* string_value;      /* STRING and ENUM */
  const char* const* list_items; /* STRING_LIST: `list_count` strings */
  size_t list_count;
} stratrun_param_value;

/* ---- logging ----------------------------------------------------------------------- */

typedef int32_t stratrun_log_level;
enum {
  STRATRUN_LOG_DEBUG = 0,
  STRATRUN_LOG_INFO = 1,
  STRATRUN_LOG_WARN = 2,
  STRATRUN_LOG_ERROR = 3
};

/* ---- the host API ------------------------------------------------------------------ */

/*
 * Callbacks the host implements, handed to `run`. OWNERSHIP: host; the table is static
 * (valid until the host exits, 1.1). Every function is thread-safe: a plugin may call it
 * from its own worker threads while `run` is on the stack; once `run` has returned, every
 * call on that run's handle returns STRATRUN_RUN_FINISHED (1.1). None of them throws or
 * blocks for long.
 */
typedef struct stratrun_host_api {
  uint32_t struct_size;
  uint32_t abi_major; /* the host's ABI version */
  uint32_t abi_minor;

  /* Sends an event to the run's ProgressSink. INVALID_ARGUMENT for a host-only type. */
  stratrun_status (*emit)(stratrun_run run, const stratrun_event* event); /* 1.0 */

  /* True once the run is cancelled (user, timeout or shutdown); check it per ticker. */
  bool (*is_cancelled)(stratrun_run run); /* 1.0 */

  /*
   * Fills `out` (whose struct_size the caller sets) with the ticker's daily bars.
   * NOT_FOUND: no data for that ticker; DATA_ERROR: its data is unusable. On failure
   * `*out_message` (may be NULL) receives a reason, OWNERSHIP: host, valid until the run
   * ends.
   */
  stratrun_status (*get_bars)(stratrun_run run, const char* ticker, stratrun_bars* out,
                              const char** out_message); /* 1.0 */

  /* Records one result row. A ticker reported twice keeps its last row. */
  stratrun_status (*report_result)(stratrun_run run, const stratrun_result* result); /* 1.0 */

  /* Fills `out` (struct_size set by the caller) with a parameter; NOT_FOUND if the
   * schema has no such name. */
  stratrun_status (*get_parameter)(stratrun_run run, const char* name,
                                   stratrun_param_value* out); /* 1.0 */

  /* Writes a line to the host's log, attributed to the plugin and run. */
  void (*log)(stratrun_run run, stratrun_log_level level, const char* message); /* 1.0 */
} stratrun_host_api;

/* What the run is asked to do. OWNERSHIP: host; valid during `run`. */
typedef struct stratrun_run_args {
  uint32_t struct_size;
  const char* run_id;
  const char* const* tickers; /* the resolved universe, `ticker_count` entries */
  size_t ticker_count;
  uint32_t max_workers; /* threads the plugin may use for per-ticker work (>= 1) */
} stratrun_run_args;

/*
 * Runs the strategy to its end, its cancellation, or a failure. Returns OK (the run
 * completed), CANCELLED (it stopped because `is_cancelled` said so), or another status;
 * then `*out_message` may point to a reason, OWNERSHIP: plugin, valid until the plugin's
 * next call on this thread; the host copies it at once.
 */
typedef stratrun_status (*stratrun_plugin_run_fn)(const stratrun_host_api* host,
                                                  stratrun_run run,
                                                  const stratrun_run_args* args,
                                                  const char** out_message);

/* ---- the plugin descriptor --------------------------------------------------------- */

/*
 * What a plugin is. OWNERSHIP: plugin; the descriptor and everything it points to are
 * static: valid and unchanged until the library is unloaded.
 */
typedef struct stratrun_plugin {
  uint32_t struct_size;
  uint32_t abi_major; /* the ABI the plugin was built against: STRATRUN_ABI_MAJOR/MINOR */
  uint32_t abi_minor;
  const char* code;        /* unique id: [a-z0-9_]{1,64} */
  const char* name;        /* human name */
  const char* version;     /* the plugin's own version, e.g. "1.2.0" */
  const char* description; /* one paragraph */
  /* JSON array of parameter objects; see plugin-api/ABI.md "Parameter schema". */
  const char* parameters_schema_json;
  const char* const* stages; /* stage names in order, `stage_count` entries */
  size_t stage_count;
  stratrun_plugin_run_fn run; /* 1.0 */
} stratrun_plugin;

/*
 * The entry point. The host passes the ABI version it speaks; the plugin sets
 * `*out_plugin` and returns OK, or returns UNSUPPORTED (major it cannot serve) or
 * another status with `*out_message` set as for `run`.
 */
typedef stratrun_status (*stratrun_plugin_entry_fn)(uint32_t host_abi_major,
                                                    uint32_t host_abi_minor,
                                                    const stratrun_plugin** out_plugin,
                                                    const char** out_message);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* STRATRUN_PLUGIN_H */
