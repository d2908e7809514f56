# libpg_query (Debian libpg-query-dev) ships a static archive that exports ~370
# unprefixed symbols (palloc, equal, makeString, ...). We link it whole into one
# relocatable object and keep only pg_query* and protobuf_c_* global, so no
# application symbol can collide with the parser's internals.
find_path(PG_QUERY_INCLUDE_DIR pg_query.h REQUIRED)
find_library(PG_QUERY_ARCHIVE libpg_query.a REQUIRED)
set(PG_QUERY_LOCAL_OBJ ${PROJECT_BINARY_DIR}/pg_query_local.o)
add_custom_command(
  OUTPUT ${PG_QUERY_LOCAL_OBJ}
  COMMAND ld -r -o ${PROJECT_BINARY_DIR}/pg_query_whole.o --whole-archive ${PG_QUERY_ARCHIVE}
  COMMAND objcopy --wildcard --keep-global-symbol=pg_query* --keep-global-symbol=protobuf_c_*
          ${PROJECT_BINARY_DIR}/pg_query_whole.o ${PG_QUERY_LOCAL_OBJ}
  DEPENDS ${PG_QUERY_ARCHIVE}
  COMMENT "Localizing libpg_query symbols")
add_custom_target(pg_query_local DEPENDS ${PG_QUERY_LOCAL_OBJ})
set_source_files_properties(${PG_QUERY_LOCAL_OBJ} PROPERTIES EXTERNAL_OBJECT TRUE GENERATED TRUE)
