#include "caf_cluster/storage/sql_transaction.hpp"

#include <SQLiteCpp/Database.h>
#include <pqxx/transaction_base>

namespace caf_cluster::storage {

void sql_transaction::execute(const char* sql) const {
  if (db_ != nullptr)
    db_->exec(sql);
  else
    postgres().exec0(sql);
}

} // namespace caf_cluster::storage
