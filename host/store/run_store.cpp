#include "store/run_store.h"

#include "store/sqlite_run_store.h"

namespace stratrun {

Result<std::unique_ptr<RunStore>> RunStore::Open(const std::filesystem::path& location) {
  auto store = SqliteRunStore::Open(location);
  if (!store) return store.status();
  return std::unique_ptr<RunStore>(std::move(*store));
}

}  // namespace stratrun
