#include "store/run_store.h"

#include "store/postgres_run_store.h"
#include "store/sqlite_run_store.h"

namespace stratrun {

bool IsPostgresLocation(std::string_view location) {
  return location.starts_with("postgresql://") || location.starts_with("postgres://");
}

Result<std::unique_ptr<RunStore>> RunStore::Open(const std::string& location) {
  if (IsPostgresLocation(location)) {
    auto store = PostgresRunStore::Open(location);
    if (!store) return store.status();
    return std::unique_ptr<RunStore>(std::move(*store));
  }
  auto store = SqliteRunStore::Open(location);
  if (!store) return store.status();
  return std::unique_ptr<RunStore>(std::move(*store));
}

}  // namespace stratrun
