/*
 * pgcatalog.c — the virtual pg_catalog / information_schema relations (pgcatalog.h).
 *
 * Each relation is declared once below as a column list ("name:letter ..."; letters: o
 * oid, n name, t text, c "char", b boolean, s smallint, i integer, l bigint, f real, a
 * an array shown as text) and a generator that emits its rows from the catalog
 * snapshot. Definitions are built on first use (pthread_once) and live for the process.
 */
#include "sql/pgcatalog.h"

#include "sql/array.h"
#include "sql/func.h"
#include "sql/parser.h"
#include "sql/plan.h"
#include "util/buf.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- values ---- */

static tw_val V_I(int64_t i) {
    return (tw_val){.k = VK_INT, .i = i};
}
static tw_val V_B(int b) {
    return (tw_val){.k = VK_BOOL, .i = b ? 1 : 0};
}
static tw_val V_F(double d) {
    return (tw_val){.k = VK_FLOAT, .d = d};
}
static tw_val V_T(const char *s) {
    if (!s) return (tw_val){.k = VK_NULL};
    return (tw_val){.k = VK_TEXT, .s = s, .n = strlen(s)};
}
static char g_chars[256][2]; /* one-byte strings, filled by init_defs */
static tw_val V_C(char ch) { /* "char": one byte, or empty for 0 */
    unsigned char u = (unsigned char)ch;
    if (!u) return (tw_val){.k = VK_TEXT, .s = "", .n = 0};
    return (tw_val){.k = VK_TEXT, .s = g_chars[u], .n = 1};
}
#define V_N ((tw_val){.k = VK_NULL})

/* ---- relation definitions ---- */

enum {
    R_NONE,
    R_NAMESPACE,
    R_CLASS,
    R_ATTRIBUTE,
    R_TYPE,
    R_INDEX,
    R_CONSTRAINT,
    R_ATTRDEF,
    R_AM,
    R_DATABASE,
    R_ROLES,
    R_AUTHID,
    R_USER,
    R_PROC,
    R_SETTINGS,
    R_DESCRIPTION,
    R_SHDESCRIPTION,
    R_COLLATION,
    R_SEQUENCE,
    R_DEPEND,
    R_TABLESPACE,
    R_TABLES,
    R_VIEWS,
    R_INDEXES,
    R_SEQUENCES,
    /* always empty */
    R_FIRST_EMPTY,
    R_INHERITS = R_FIRST_EMPTY,
    R_PARTITIONED_TABLE,
    R_POLICY,
    R_STATISTIC_EXT,
    R_PUBLICATION,
    R_PUBLICATION_REL,
    R_PUBLICATION_NAMESPACE,
    R_TRIGGER,
    R_ENUM,
    R_EXTENSION,
    R_RULES,
    R_FOREIGN_TABLE,
    R_AUTH_MEMBERS,
    R_FOREIGN_SERVER,
    R_FOREIGN_DATA_WRAPPER,
    R_EVENT_TRIGGER,
    R_LAST_EMPTY = R_EVENT_TRIGGER,
    /* information_schema */
    R_IS_TABLES,
    R_IS_COLUMNS,
    R_IS_SCHEMATA,
    R_IS_TABLE_CONSTRAINTS,
    R_IS_KEY_COLUMN_USAGE,
    R_IS_VIEWS,
    R_IS_SEQUENCES,
    R_COUNT
};

typedef struct reldef {
    int id;
    uint32_t nsp;
    const char *name;
    uint32_t oid; /* PostgreSQL's oid of the catalog where it has a fixed one */
    char relkind;
    const char *cols;
} reldef;

static const reldef RELS[] = {
    {R_NAMESPACE, 11, "pg_namespace", 2615, 'r', "oid:o nspname:n nspowner:o nspacl:a"},
    {R_CLASS, 11, "pg_class", 1259, 'r',
     "oid:o relname:n relnamespace:o reltype:o reloftype:o relowner:o relam:o relfilenode:o "
     "reltablespace:o relpages:i reltuples:f relallvisible:i reltoastrelid:o relhasindex:b "
     "relisshared:b relpersistence:c relkind:c relnatts:s relchecks:s relhasrules:b "
     "relhastriggers:b relhassubclass:b relrowsecurity:b relforcerowsecurity:b "
     "relispopulated:b relreplident:c relispartition:b relrewrite:o relfrozenxid:o "
     "relminmxid:o relacl:a reloptions:a relpartbound:t"},
    {R_ATTRIBUTE, 11, "pg_attribute", 1249, 'r',
     "attrelid:o attname:n atttypid:o attstattarget:i attlen:s attnum:s attndims:i "
     "attcacheoff:i atttypmod:i attbyval:b attalign:c attstorage:c attcompression:c "
     "attnotnull:b atthasdef:b atthasmissing:b attidentity:c attgenerated:c attisdropped:b "
     "attislocal:b attinhcount:i attcollation:o attacl:a attoptions:a attfdwoptions:a "
     "attmissingval:a"},
    {R_TYPE, 11, "pg_type", 1247, 'r',
     "oid:o typname:n typnamespace:o typowner:o typlen:s typbyval:b typtype:c typcategory:c "
     "typispreferred:b typisdefined:b typdelim:c typrelid:o typsubscript:t typelem:o "
     "typarray:o typinput:t typoutput:t typreceive:t typsend:t typmodin:t typmodout:t "
     "typanalyze:t typalign:c typstorage:c typnotnull:b typbasetype:o typtypmod:i typndims:i "
     "typcollation:o typdefaultbin:t typdefault:t typacl:a"},
    {R_INDEX, 11, "pg_index", 2610, 'r',
     "indexrelid:o indrelid:o indnatts:s indnkeyatts:s indisunique:b indnullsnotdistinct:b "
     "indisprimary:b indisexclusion:b indimmediate:b indisclustered:b indisvalid:b "
     "indcheckxmin:b indisready:b indislive:b indisreplident:b indkey:K indcollation:t "
     "indclass:t indoption:t indexprs:t indpred:t"},
    {R_CONSTRAINT, 11, "pg_constraint", 2606, 'r',
     "oid:o conname:n connamespace:o contype:c condeferrable:b condeferred:b convalidated:b "
     "conrelid:o contypid:o conindid:o conparentid:o confrelid:o confupdtype:c confdeltype:c "
     "confmatchtype:c conislocal:b coninhcount:i connoinherit:b conkey:K confkey:K "
     "conpfeqop:a conppeqop:a conffeqop:a confdelsetcols:a conexclop:a conbin:t"},
    {R_ATTRDEF, 11, "pg_attrdef", 2604, 'r', "oid:o adrelid:o adnum:s adbin:t"},
    {R_AM, 11, "pg_am", 2601, 'r', "oid:o amname:n amhandler:t amtype:c"},
    {R_DATABASE, 11, "pg_database", 1262, 'r',
     "oid:o datname:n datdba:o encoding:i datlocprovider:c datistemplate:b datallowconn:b "
     "datconnlimit:i datfrozenxid:o datminmxid:o dattablespace:o datcollate:t datctype:t "
     "daticulocale:t datcollversion:t datacl:a"},
    {R_ROLES, 11, "pg_roles", 12001, 'v',
     "rolname:n rolsuper:b rolinherit:b rolcreaterole:b rolcreatedb:b rolcanlogin:b "
     "rolreplication:b rolconnlimit:i rolpassword:t rolvaliduntil:t rolbypassrls:b "
     "rolconfig:a oid:o"},
    {R_AUTHID, 11, "pg_authid", 1260, 'r',
     "oid:o rolname:n rolsuper:b rolinherit:b rolcreaterole:b rolcreatedb:b rolcanlogin:b "
     "rolreplication:b rolbypassrls:b rolconnlimit:i rolpassword:t rolvaliduntil:t"},
    {R_USER, 11, "pg_user", 12002, 'v',
     "usename:n usesysid:o usecreatedb:b usesuper:b userepl:b usebypassrls:b passwd:t "
     "valuntil:t useconfig:a"},
    {R_PROC, 11, "pg_proc", 1255, 'r',
     "oid:o proname:n pronamespace:o proowner:o prolang:o procost:f prorows:f provariadic:o "
     "prosupport:t prokind:c prosecdef:b proleakproof:b proisstrict:b proretset:b "
     "provolatile:c proparallel:c pronargs:s pronargdefaults:s prorettype:o proargtypes:t "
     "proallargtypes:a proargmodes:a proargnames:a proargdefaults:t protrftypes:a prosrc:t "
     "probin:t prosqlbody:t proconfig:a proacl:a"},
    {R_SETTINGS, 11, "pg_settings", 12003, 'v',
     "name:t setting:t unit:t category:t short_desc:t extra_desc:t context:t vartype:t "
     "source:t min_val:t max_val:t enumvals:a boot_val:t reset_val:t sourcefile:t "
     "sourceline:i pending_restart:b"},
    {R_DESCRIPTION, 11, "pg_description", 2609, 'r',
     "objoid:o classoid:o objsubid:i description:t"},
    {R_SHDESCRIPTION, 11, "pg_shdescription", 2396, 'r', "objoid:o classoid:o description:t"},
    {R_COLLATION, 11, "pg_collation", 3456, 'r',
     "oid:o collname:n collnamespace:o collowner:o collprovider:c collisdeterministic:b "
     "collencoding:i collcollate:t collctype:t colliculocale:t collversion:t"},
    {R_SEQUENCE, 11, "pg_sequence", 2224, 'r',
     "seqrelid:o seqtypid:o seqstart:l seqincrement:l seqmax:l seqmin:l seqcache:l seqcycle:b"},
    {R_DEPEND, 11, "pg_depend", 2608, 'r',
     "classid:o objid:o objsubid:i refclassid:o refobjid:o refobjsubid:i deptype:c"},
    {R_TABLESPACE, 11, "pg_tablespace", 1213, 'r',
     "oid:o spcname:n spcowner:o spcacl:a spcoptions:a"},
    {R_TABLES, 11, "pg_tables", 12004, 'v',
     "schemaname:n tablename:n tableowner:n tablespace:n hasindexes:b hasrules:b "
     "hastriggers:b rowsecurity:b"},
    {R_VIEWS, 11, "pg_views", 12005, 'v', "schemaname:n viewname:n viewowner:n definition:t"},
    {R_INDEXES, 11, "pg_indexes", 12006, 'v',
     "schemaname:n tablename:n indexname:n tablespace:n indexdef:t"},
    {R_SEQUENCES, 11, "pg_sequences", 12007, 'v',
     "schemaname:n sequencename:n sequenceowner:n data_type:t start_value:l min_value:l "
     "max_value:l increment_by:l cycle:b cache_size:l last_value:l"},
    {R_INHERITS, 11, "pg_inherits", 2611, 'r',
     "inhrelid:o inhparent:o inhseqno:i inhdetachpending:b"},
    {R_PARTITIONED_TABLE, 11, "pg_partitioned_table", 3350, 'r',
     "partrelid:o partstrat:c partnatts:s partdefid:o partattrs:t partclass:t "
     "partcollation:t partexprs:t"},
    {R_POLICY, 11, "pg_policy", 3256, 'r',
     "oid:o polname:n polrelid:o polcmd:c polpermissive:b polroles:a polqual:t "
     "polwithcheck:t"},
    {R_STATISTIC_EXT, 11, "pg_statistic_ext", 3381, 'r',
     "oid:o stxrelid:o stxname:n stxnamespace:o stxowner:o stxstattarget:i stxkeys:t "
     "stxkind:a stxexprs:t"},
    {R_PUBLICATION, 11, "pg_publication", 6104, 'r',
     "oid:o pubname:n pubowner:o puballtables:b pubinsert:b pubupdate:b pubdelete:b "
     "pubtruncate:b pubviaroot:b"},
    {R_PUBLICATION_REL, 11, "pg_publication_rel", 6106, 'r',
     "oid:o prpubid:o prrelid:o prqual:t prattrs:t"},
    {R_PUBLICATION_NAMESPACE, 11, "pg_publication_namespace", 6237, 'r',
     "oid:o pnpubid:o pnnspid:o"},
    {R_TRIGGER, 11, "pg_trigger", 2620, 'r',
     "oid:o tgrelid:o tgparentid:o tgname:n tgfoid:o tgtype:s tgenabled:c tgisinternal:b "
     "tgconstrrelid:o tgconstrindid:o tgconstraint:o tgdeferrable:b tginitdeferred:b "
     "tgnargs:s tgattr:t tgargs:t tgqual:t tgoldtable:n tgnewtable:n"},
    {R_ENUM, 11, "pg_enum", 3501, 'r', "oid:o enumtypid:o enumsortorder:f enumlabel:n"},
    {R_EXTENSION, 11, "pg_extension", 3079, 'r',
     "oid:o extname:n extowner:o extnamespace:o extrelocatable:b extversion:t extconfig:a "
     "extcondition:a"},
    {R_RULES, 11, "pg_rewrite", 2618, 'r',
     "oid:o rulename:n ev_class:o ev_type:c ev_enabled:c is_instead:b ev_qual:t ev_action:t"},
    {R_FOREIGN_TABLE, 11, "pg_foreign_table", 3118, 'r', "ftrelid:o ftserver:o ftoptions:a"},
    {R_AUTH_MEMBERS, 11, "pg_auth_members", 1261, 'r',
     "roleid:o member:o grantor:o admin_option:b"},
    {R_FOREIGN_SERVER, 11, "pg_foreign_server", 1417, 'r',
     "oid:o srvname:n srvowner:o srvfdw:o srvtype:t srvversion:t srvacl:a srvoptions:a"},
    {R_FOREIGN_DATA_WRAPPER, 11, "pg_foreign_data_wrapper", 2328, 'r',
     "oid:o fdwname:n fdwowner:o fdwhandler:o fdwvalidator:o fdwacl:a fdwoptions:a"},
    {R_EVENT_TRIGGER, 11, "pg_event_trigger", 3466, 'r',
     "oid:o evtname:n evtevent:n evtowner:o evtfoid:o evtenabled:c evttags:a"},
    {R_IS_TABLES, TW_PGCAT_NSP_INFO, "tables", 13001, 'v',
     "table_catalog:t table_schema:t table_name:t table_type:t "
     "self_referencing_column_name:t reference_generation:t user_defined_type_catalog:t "
     "user_defined_type_schema:t user_defined_type_name:t is_insertable_into:t is_typed:t "
     "commit_action:t"},
    {R_IS_COLUMNS, TW_PGCAT_NSP_INFO, "columns", 13002, 'v',
     "table_catalog:t table_schema:t table_name:t column_name:t ordinal_position:i "
     "column_default:t is_nullable:t data_type:t character_maximum_length:i "
     "character_octet_length:i numeric_precision:i numeric_precision_radix:i "
     "numeric_scale:i datetime_precision:i interval_type:t interval_precision:i "
     "character_set_catalog:t character_set_schema:t character_set_name:t "
     "collation_catalog:t collation_schema:t collation_name:t domain_catalog:t "
     "domain_schema:t domain_name:t udt_catalog:t udt_schema:t udt_name:t scope_catalog:t "
     "scope_schema:t scope_name:t maximum_cardinality:i dtd_identifier:t "
     "is_self_referencing:t is_identity:t identity_generation:t identity_start:t "
     "identity_increment:t identity_maximum:t identity_minimum:t identity_cycle:t "
     "is_generated:t generation_expression:t is_updatable:t"},
    {R_IS_SCHEMATA, TW_PGCAT_NSP_INFO, "schemata", 13003, 'v',
     "catalog_name:t schema_name:t schema_owner:t default_character_set_catalog:t "
     "default_character_set_schema:t default_character_set_name:t sql_path:t"},
    {R_IS_TABLE_CONSTRAINTS, TW_PGCAT_NSP_INFO, "table_constraints", 13004, 'v',
     "constraint_catalog:t constraint_schema:t constraint_name:t table_catalog:t "
     "table_schema:t table_name:t constraint_type:t is_deferrable:t initially_deferred:t "
     "enforced:t nulls_distinct:t"},
    {R_IS_KEY_COLUMN_USAGE, TW_PGCAT_NSP_INFO, "key_column_usage", 13005, 'v',
     "constraint_catalog:t constraint_schema:t constraint_name:t table_catalog:t "
     "table_schema:t table_name:t column_name:t ordinal_position:i "
     "position_in_unique_constraint:i"},
    {R_IS_VIEWS, TW_PGCAT_NSP_INFO, "views", 13006, 'v',
     "table_catalog:t table_schema:t table_name:t view_definition:t check_option:t "
     "is_updatable:t is_insertable_into:t is_trigger_updatable:t is_trigger_deletable:t "
     "is_trigger_insertable_into:t"},
    {R_IS_SEQUENCES, TW_PGCAT_NSP_INFO, "sequences", 13007, 'v',
     "sequence_catalog:t sequence_schema:t sequence_name:t data_type:t numeric_precision:i "
     "numeric_precision_radix:i numeric_scale:i start_value:t minimum_value:t "
     "maximum_value:t increment:t cycle_option:t"},
};
#define NRELS (sizeof RELS / sizeof RELS[0])

static tw_table g_tables[R_COUNT];
static const reldef *g_defs[R_COUNT];
static int g_init_failed;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static tw_sqltype letter_type(char l) {
    switch (l) {
    case 'o':
        return (tw_sqltype){TY_INT8, TW_MOD_OID};
    case 'n':
        return (tw_sqltype){TY_TEXT, TW_MOD_NAME};
    case 'c':
        return (tw_sqltype){TY_TEXT, TW_MOD_CHAR1};
    case 'l':
        return (tw_sqltype){TY_INT8, -1};
    case 'K':
        return (tw_sqltype){TY_ARRAY, TY_INT2};
    case 'i':
        return (tw_sqltype){TY_INT4, -1};
    case 's':
        return (tw_sqltype){TY_INT2, -1};
    case 'b':
        return (tw_sqltype){TY_BOOL, -1};
    case 'f':
        return (tw_sqltype){TY_FLOAT4, -1};
    default:
        return (tw_sqltype){TY_TEXT, -1};
    }
}

static void init_defs(void) {
    for (int i = 0; i < 256; i++) g_chars[i][0] = (char)i;
    for (size_t r = 0; r < NRELS; r++) {
        const reldef *d = &RELS[r];
        int n = 0;
        for (const char *p = d->cols; *p; p++) n += *p == ':';
        tw_table *t = &g_tables[d->id];
        t->name = (char *)d->name;
        t->ncols = n;
        t->cols = calloc((size_t)n, sizeof *t->cols);
        t->kinds = calloc((size_t)n, 1);
        t->pk = calloc(1, sizeof(int));
        if (!t->cols || !t->kinds || !t->pk) {
            g_init_failed = 1;
            return;
        }
        const char *p = d->cols;
        for (int i = 0; i < n; i++) {
            const char *colon = strchr(p, ':');
            size_t len = (size_t)(colon - p);
            char *nm = malloc(len + 1);
            if (!nm) {
                g_init_failed = 1;
                return;
            }
            memcpy(nm, p, len);
            nm[len] = 0;
            t->cols[i].name = nm;
            t->cols[i].type = letter_type(colon[1]);
            t->kinds[i] = (uint8_t)tw_type_kind(t->cols[i].type.ty);
            p = colon + 2;
            while (*p == ' ') p++;
        }
        g_defs[d->id] = d;
    }
}

static int ensure_init(void) {
    pthread_once(&g_once, init_defs);
    return g_init_failed ? -1 : 0;
}

const tw_table *tw_pgcat_lookup(const char *schema, const char *name, int *vrel) {
    uint32_t nsp = 0;
    if (schema && schema[0]) {
        if (!strcmp(schema, "pg_catalog"))
            nsp = TW_PGCAT_NSP_CATALOG;
        else if (!strcmp(schema, "information_schema"))
            nsp = TW_PGCAT_NSP_INFO;
        else
            return NULL;
    }
    if (ensure_init()) return NULL;
    for (size_t r = 0; r < NRELS; r++) {
        const reldef *d = &RELS[r];
        if (strcmp(d->name, name)) continue;
        if (nsp ? d->nsp != nsp : d->nsp != TW_PGCAT_NSP_CATALOG) continue;
        *vrel = d->id;
        return &g_tables[d->id];
    }
    return NULL;
}

int tw_pgcat_always_empty(int vrel) {
    return vrel >= R_FIRST_EMPTY && vrel <= R_LAST_EMPTY;
}

/* ---- OIDs ---- */

uint32_t tw_pgcat_table_oid(const tw_table *t) {
    return (uint32_t)(16384 + t->id);
}
uint32_t tw_pgcat_index_oid(const tw_index *x) {
    return (uint32_t)(16384 + x->id);
}
uint32_t tw_pgcat_seq_oid(const tw_seq *s) {
    return (uint32_t)(16384 + s->id);
}
uint32_t tw_pgcat_pkey_oid(const tw_table *t) {
    return (uint32_t)(0x80000000u + (t->id & 0x3FFFFFFF));
}
static uint32_t pkcon_oid(const tw_table *t) {
    return (uint32_t)(0xC0000000u + (t->id & 0x3FFFFFFF));
}
uint32_t tw_pgcat_view_oid(const tw_view *v) {
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)v->name; *p; p++) h = (h ^ *p) * 16777619u;
    return 0x40000000u | (h & 0x3FFFFFFFu);
}
/* CHECK k (k < 128) and FOREIGN KEY 128 + k of table t (constraint.h) */
static uint32_t cons_oid(const tw_table *t, int k) {
    return (uint32_t)(0xE0000000u + (((uint32_t)t->id & 0xFFFFF) << 8) + (uint32_t)k);
}
static uint32_t attrdef_oid(const tw_table *t, int attnum) {
    return (uint32_t)(0xA0000000u + (((uint32_t)t->id & 0xFFFFF) << 11) + (uint32_t)attnum);
}

uint32_t tw_pgcat_vrel_oid(const tw_table *vt) {
    for (size_t r = 0; r < NRELS; r++)
        if (&g_tables[RELS[r].id] == vt) return RELS[r].oid;
    return 0;
}

const char *tw_pgcat_nsp_name(uint64_t oid) {
    switch (oid) {
    case TW_PGCAT_NSP_CATALOG:
        return "pg_catalog";
    case TW_PGCAT_NSP_PUBLIC:
        return "public";
    case TW_PGCAT_NSP_INFO:
        return "information_schema";
    case 99:
        return "pg_toast";
    default:
        return NULL;
    }
}

void tw_pgcat_find_oid(const tw_catalog *cat, uint64_t oid, tw_pgcat_obj *o) {
    memset(o, 0, sizeof *o);
    o->nsp = TW_PGCAT_NSP_PUBLIC;
    if (!cat) return;
    for (int i = 0; i < cat->ntables; i++) {
        const tw_table *t = cat->tables[i];
        if (tw_pgcat_table_oid(t) == oid) {
            o->kind = PGCAT_TABLE, o->table = t, o->name = t->name;
            return;
        }
        if (t->npk && tw_pgcat_pkey_oid(t) == oid) {
            o->kind = PGCAT_PKEY, o->table = t, o->name = NULL; /* name: "<t>_pkey" */
            return;
        }
    }
    for (int i = 0; i < cat->nindexes; i++)
        if (tw_pgcat_index_oid(cat->indexes[i]) == oid) {
            o->kind = PGCAT_INDEX, o->index = cat->indexes[i], o->table = cat->indexes[i]->table;
            o->name = cat->indexes[i]->name;
            return;
        }
    for (int i = 0; i < cat->nseqs; i++)
        if (tw_pgcat_seq_oid(cat->seqs[i]) == oid) {
            o->kind = PGCAT_SEQ, o->seq = cat->seqs[i], o->name = cat->seqs[i]->name;
            return;
        }
    for (int i = 0; i < cat->nviews; i++)
        if (tw_pgcat_view_oid(cat->views[i]) == oid) {
            o->kind = PGCAT_VIEW, o->view = cat->views[i], o->name = cat->views[i]->name;
            return;
        }
    if (ensure_init()) return;
    for (size_t r = 0; r < NRELS; r++)
        if (RELS[r].oid == oid) {
            o->kind = PGCAT_VREL, o->table = &g_tables[RELS[r].id], o->name = RELS[r].name;
            o->nsp = RELS[r].nsp;
            return;
        }
}

void tw_pgcat_find_name(const tw_catalog *cat, const char *schema, const char *name,
                        tw_pgcat_obj *o) {
    memset(o, 0, sizeof *o);
    int vrel;
    if ((!schema || !strcmp(schema, "pg_catalog") || !strcmp(schema, "information_schema")) &&
        tw_pgcat_lookup(schema, name, &vrel)) {
        o->kind = PGCAT_VREL, o->table = &g_tables[vrel], o->name = g_defs[vrel]->name;
        o->nsp = g_defs[vrel]->nsp;
        return;
    }
    if (!cat || (schema && strcmp(schema, "public"))) return;
    o->nsp = TW_PGCAT_NSP_PUBLIC;
    const tw_table *t = tw_catalog_table(cat, name);
    if (t) {
        o->kind = PGCAT_TABLE, o->table = t, o->name = t->name;
        return;
    }
    const tw_index *x = tw_catalog_index(cat, name);
    if (x) {
        o->kind = PGCAT_INDEX, o->index = x, o->table = x->table, o->name = x->name;
        return;
    }
    const tw_view *v = tw_catalog_view(cat, name);
    if (v) {
        o->kind = PGCAT_VIEW, o->view = v, o->name = v->name;
        return;
    }
    const tw_seq *s = tw_catalog_seq(cat, name);
    if (s) {
        o->kind = PGCAT_SEQ, o->seq = s, o->name = s->name;
        return;
    }
    size_t n = strlen(name);
    if (n > 5 && !strcmp(name + n - 5, "_pkey")) {
        char tn[256];
        if (n - 5 < sizeof tn) {
            memcpy(tn, name, n - 5);
            tn[n - 5] = 0;
            t = tw_catalog_table(cat, tn);
            if (t && t->npk) o->kind = PGCAT_PKEY, o->table = t, o->name = NULL;
        }
    }
}

/* ---- types ---- */

typedef struct typinfo {
    uint32_t oid;
    const char *typname; /* pg_type.typname */
    const char *fmt;     /* format_type's name */
    int16_t len;
    char byval, category, typtype;
    uint32_t array, elem, coll;
} typinfo;

static const typinfo TYPES[] = {
    {16, "bool", "boolean", 1, 1, 'B', 'b', 1000, 0, 0},
    {17, "bytea", "bytea", -1, 0, 'U', 'b', 1001, 0, 0},
    {18, "char", "\"char\"", 1, 1, 'Z', 'b', 1002, 0, 0},
    {19, "name", "name", 64, 0, 'S', 'b', 1003, 0, 950},
    {20, "int8", "bigint", 8, 1, 'N', 'b', 1016, 0, 0},
    {21, "int2", "smallint", 2, 1, 'N', 'b', 1005, 0, 0},
    {23, "int4", "integer", 4, 1, 'N', 'b', 1007, 0, 0},
    {24, "regproc", "regproc", 4, 1, 'N', 'b', 1008, 0, 0},
    {25, "text", "text", -1, 0, 'S', 'b', 1009, 0, 100},
    {26, "oid", "oid", 4, 1, 'N', 'b', 1028, 0, 0},
    {114, "json", "json", -1, 0, 'U', 'b', 199, 0, 0},
    {700, "float4", "real", 4, 1, 'N', 'b', 1021, 0, 0},
    {701, "float8", "double precision", 8, 1, 'N', 'b', 1022, 0, 0},
    {705, "unknown", "unknown", -2, 0, 'X', 'p', 0, 0, 0},
    {1042, "bpchar", "character", -1, 0, 'S', 'b', 1014, 0, 100},
    {1043, "varchar", "character varying", -1, 0, 'S', 'b', 1015, 0, 100},
    {1082, "date", "date", 4, 1, 'D', 'b', 1182, 0, 0},
    {1114, "timestamp", "timestamp without time zone", 8, 1, 'D', 'b', 1115, 0, 0},
    {1184, "timestamptz", "timestamp with time zone", 8, 1, 'D', 'b', 1185, 0, 0},
    {1186, "interval", "interval", 16, 0, 'T', 'b', 1187, 0, 0},
    {1700, "numeric", "numeric", -1, 0, 'N', 'b', 1231, 0, 0},
    {2205, "regclass", "regclass", 4, 1, 'N', 'b', 2210, 0, 0},
    {2206, "regtype", "regtype", 4, 1, 'N', 'b', 2211, 0, 0},
    {2249, "record", "record", -1, 0, 'P', 'p', 2287, 0, 0},
    {2278, "void", "void", 4, 1, 'P', 'p', 0, 0, 0},
    {2950, "uuid", "uuid", 16, 0, 'U', 'b', 2951, 0, 0},
    {3802, "jsonb", "jsonb", -1, 0, 'U', 'b', 3807, 0, 0},
    {4089, "regnamespace", "regnamespace", 4, 1, 'N', 'b', 4090, 0, 0},
    /* array types */
    {199, "_json", NULL, -1, 0, 'A', 'b', 0, 114, 0},
    {1000, "_bool", NULL, -1, 0, 'A', 'b', 0, 16, 0},
    {1001, "_bytea", NULL, -1, 0, 'A', 'b', 0, 17, 0},
    {1002, "_char", NULL, -1, 0, 'A', 'b', 0, 18, 0},
    {1003, "_name", NULL, -1, 0, 'A', 'b', 0, 19, 950},
    {1005, "_int2", NULL, -1, 0, 'A', 'b', 0, 21, 0},
    {1007, "_int4", NULL, -1, 0, 'A', 'b', 0, 23, 0},
    {1008, "_regproc", NULL, -1, 0, 'A', 'b', 0, 24, 0},
    {1009, "_text", NULL, -1, 0, 'A', 'b', 0, 25, 100},
    {1014, "_bpchar", NULL, -1, 0, 'A', 'b', 0, 1042, 100},
    {1015, "_varchar", NULL, -1, 0, 'A', 'b', 0, 1043, 100},
    {1016, "_int8", NULL, -1, 0, 'A', 'b', 0, 20, 0},
    {1021, "_float4", NULL, -1, 0, 'A', 'b', 0, 700, 0},
    {1022, "_float8", NULL, -1, 0, 'A', 'b', 0, 701, 0},
    {1028, "_oid", NULL, -1, 0, 'A', 'b', 0, 26, 0},
    {1115, "_timestamp", NULL, -1, 0, 'A', 'b', 0, 1114, 0},
    {1182, "_date", NULL, -1, 0, 'A', 'b', 0, 1082, 0},
    {1185, "_timestamptz", NULL, -1, 0, 'A', 'b', 0, 1184, 0},
    {1187, "_interval", NULL, -1, 0, 'A', 'b', 0, 1186, 0},
    {1231, "_numeric", NULL, -1, 0, 'A', 'b', 0, 1700, 0},
    {2210, "_regclass", NULL, -1, 0, 'A', 'b', 0, 2205, 0},
    {2211, "_regtype", NULL, -1, 0, 'A', 'b', 0, 2206, 0},
    {2287, "_record", NULL, -1, 0, 'A', 'p', 0, 2249, 0},
    {2951, "_uuid", NULL, -1, 0, 'A', 'b', 0, 2950, 0},
    {3807, "_jsonb", NULL, -1, 0, 'A', 'b', 0, 3802, 0},
    {4090, "_regnamespace", NULL, -1, 0, 'A', 'b', 0, 4089, 0},
};
#define NTYPES (sizeof TYPES / sizeof TYPES[0])

static const typinfo *type_of(uint64_t oid) {
    for (size_t i = 0; i < NTYPES; i++)
        if (TYPES[i].oid == oid) return &TYPES[i];
    return NULL;
}

const char *tw_pgcat_format_type(uint64_t oid, int32_t typmod, char *buf, size_t cap) {
    const typinfo *t = type_of(oid);
    if (!t) return NULL;
    if (t->elem) {
        const typinfo *e = type_of(t->elem);
        if (!e) return NULL;
        char inner[96];
        const char *s = tw_pgcat_format_type(e->oid, typmod, inner, sizeof inner);
        snprintf(buf, cap, "%s[]", s ? s : e->typname);
        return buf;
    }
    if ((oid == 1042 || oid == 1043) && typmod >= 4)
        snprintf(buf, cap, "%s(%d)", t->fmt, (int)(typmod - 4));
    else if (oid == 1042)
        snprintf(buf, cap, "bpchar");
    else if (oid == 1700 && typmod >= 4)
        snprintf(buf, cap, "numeric(%d,%d)", (int)(((typmod - 4) >> 16) & 0xFFFF),
                 (int)((typmod - 4) & 0xFFFF));
    else
        snprintf(buf, cap, "%s", t->fmt);
    return buf;
}

uint32_t tw_pgcat_type_by_name(const char *name) {
    static const struct {
        const char *n;
        uint32_t oid;
    } alias[] = {{"int", 23},
                 {"integer", 23},
                 {"smallint", 21},
                 {"bigint", 20},
                 {"boolean", 16},
                 {"real", 700},
                 {"float", 701},
                 {"decimal", 1700},
                 {"character", 1042},
                 {"character varying", 1043},
                 {"double precision", 701},
                 {"timestamp without time zone", 1114},
                 {"timestamp with time zone", 1184},
                 {"\"char\"", 18}};
    for (size_t i = 0; i < sizeof alias / sizeof alias[0]; i++)
        if (!strcmp(alias[i].n, name)) return alias[i].oid;
    const char *s = name;
    if (!strncmp(s, "pg_catalog.", 11)) s += 11;
    for (size_t i = 0; i < NTYPES; i++)
        if (!strcmp(TYPES[i].typname, s) || (TYPES[i].fmt && !strcmp(TYPES[i].fmt, s)))
            return TYPES[i].oid;
    return 0;
}

/* ---- row building ---- */

typedef struct gen {
    const tw_catalog *cat;
    int ncols;
    tw_val **rows;
    size_t n, cap;
    tw_err *err;
    int failed;
    int is_mode; /* view columns as information_schema.columns rows */
    const tw_table *def;
    tw_arena mem; /* array values */
} gen;

static int emit(gen *g, const tw_val *v, int n) {
    if (g->failed) return -1;
    if (n != g->ncols) {
        g->failed = 1;
        tw_err_set(g->err, TWILL_ERROR, "XX000",
                   "catalog relation generator produced %d columns, expected %d", n, g->ncols);
        return -1;
    }
    /* a smallint[] column (K) takes its value as text: '{1,2}' or int2vector's '1 2' */
    tw_val *conv = NULL;
    for (int i = 0; i < n; i++) {
        if (g->def->cols[i].type.ty != TY_ARRAY || v[i].k != VK_TEXT) continue;
        if (!conv) {
            if (!(conv = tw_arena_alloc(&g->mem, sizeof(tw_val) * (size_t)n))) goto oom;
            memcpy(conv, v, sizeof(tw_val) * (size_t)n);
        }
        char *txt = tw_arena_alloc(&g->mem, v[i].n + 3);
        if (!txt) goto oom;
        int braced = v[i].n && v[i].s[0] == '{';
        size_t o = 0;
        if (!braced) txt[o++] = '{';
        for (size_t k = 0; k < v[i].n; k++)
            txt[o++] = !braced && v[i].s[k] == ' ' ? ',' : v[i].s[k];
        if (!braced) txt[o++] = '}';
        if (tw_array_parse(txt, o, g->def->cols[i].type.mod, &g->mem, &conv[i], g->err)) {
            g->failed = 1;
            return -1;
        }
    }
    if (conv) v = conv;
    size_t extra = 0;
    for (int i = 0; i < n; i++)
        if (vk_has_bytes(v[i].k)) extra += v[i].n;
    tw_val *row = malloc(sizeof(tw_val) * (size_t)(n ? n : 1) + extra + 1);
    if (g->n == g->cap) {
        size_t nc = g->cap ? g->cap * 2 : 32;
        tw_val **nr = realloc(g->rows, nc * sizeof *nr);
        if (nr) g->rows = nr, g->cap = nc;
    }
    if (!row || g->n == g->cap) {
        free(row);
        goto oom;
    }
    char *p = (char *)(row + (n ? n : 1));
    for (int i = 0; i < n; i++) {
        row[i] = v[i];
        if (vk_has_bytes(v[i].k)) {
            if (v[i].n) memcpy(p, v[i].s, v[i].n);
            row[i].s = p;
            p += v[i].n;
        }
    }
    g->rows[g->n++] = row;
    return 0;
oom:
    g->failed = 1;
    tw_err_set(g->err, TWILL_NOMEM, NULL, "out of memory");
    return -1;
}
#define EMIT(g, ...)                                                                               \
    emit((g), (tw_val[]){__VA_ARGS__}, (int)(sizeof((tw_val[]){__VA_ARGS__}) / sizeof(tw_val)))

static int col_typmod(const tw_column *c, uint32_t *oid) {
    int32_t tm = -1;
    *oid = tw_type_pgoid(c->type, &tm);
    return tm;
}

/* "1 2 3" (int2vector) of 1-based column numbers */
static void intvec(char *buf, size_t cap, const int *cols, int n, int braces) {
    size_t o = 0;
    if (braces && o < cap) buf[o++] = '{';
    for (int i = 0; i < n && o + 12 < cap; i++)
        o += (size_t)snprintf(buf + o, cap - o, "%s%d", i ? (braces ? "," : " ") : "", cols[i] + 1);
    if (braces && o + 1 < cap) buf[o++] = '}';
    buf[o < cap ? o : cap - 1] = 0;
}

static void pkey_name(const tw_table *t, char *buf, size_t cap) {
    snprintf(buf, cap, "%s_pkey", t->name);
}

/* ---- generators ---- */

static void gen_namespace(gen *g) {
    EMIT(g, V_I(TW_PGCAT_NSP_CATALOG), V_T("pg_catalog"), V_I(TW_PGCAT_ROLE), V_N);
    EMIT(g, V_I(TW_PGCAT_NSP_PUBLIC), V_T("public"), V_I(TW_PGCAT_ROLE_DBOWNER), V_N);
    EMIT(g, V_I(TW_PGCAT_NSP_INFO), V_T("information_schema"), V_I(TW_PGCAT_ROLE), V_N);
}

/* checks: relchecks (CHECK constraints); triggers: relhastriggers (foreign keys on either
 * side, which psql's \d looks for) */
static void class_row_cons(gen *g, uint32_t oid, const char *name, uint32_t nsp, char kind,
                           uint32_t am, int natts, int hasindex, int checks, int triggers) {
    EMIT(g, V_I(oid), V_T(name), V_I(nsp), V_I(0), V_I(0), V_I(TW_PGCAT_ROLE), V_I(am),
         V_I(kind == 'v' ? 0 : oid), V_I(0), V_I(0), V_F(-1), V_I(0), V_I(0), V_B(hasindex), V_B(0),
         V_C('p'), V_C(kind), V_I(natts), V_I(checks), V_B(kind == 'v'), V_B(triggers), V_B(0),
         V_B(0), V_B(0), V_B(1), V_C(kind == 'r' ? 'd' : 'n'), V_B(0), V_I(0), V_I(0), V_I(0), V_N,
         V_N, V_N);
}

static void class_row(gen *g, uint32_t oid, const char *name, uint32_t nsp, char kind, uint32_t am,
                      int natts, int hasindex) {
    class_row_cons(g, oid, name, nsp, kind, am, natts, hasindex, 0, 0);
}

static void gen_class(gen *g) {
    const tw_catalog *c = g->cat;
    char nm[300];
    for (int i = 0; i < c->ntables; i++) {
        const tw_table *t = c->tables[i];
        class_row_cons(g, tw_pgcat_table_oid(t), t->name, TW_PGCAT_NSP_PUBLIC, 'r', 2, t->ncols,
                       t->npk > 0 || t->nidx > 0, t->nchecks, t->nfks > 0 || t->nrefby > 0);
        if (t->npk) {
            pkey_name(t, nm, sizeof nm);
            class_row(g, tw_pgcat_pkey_oid(t), nm, TW_PGCAT_NSP_PUBLIC, 'i', 403, t->npk, 0);
        }
    }
    for (int i = 0; i < c->nindexes; i++) {
        const tw_index *x = c->indexes[i];
        class_row(g, tw_pgcat_index_oid(x), x->name, TW_PGCAT_NSP_PUBLIC, 'i', 403, x->ncols, 0);
    }
    for (int i = 0; i < c->nviews; i++)
        class_row(g, tw_pgcat_view_oid(c->views[i]), c->views[i]->name, TW_PGCAT_NSP_PUBLIC, 'v', 0,
                  0, 0);
    for (int i = 0; i < c->nseqs; i++)
        class_row(g, tw_pgcat_seq_oid(c->seqs[i]), c->seqs[i]->name, TW_PGCAT_NSP_PUBLIC, 'S', 0, 3,
                  0);
    for (size_t r = 0; r < NRELS; r++)
        class_row(g, RELS[r].oid, RELS[r].name, RELS[r].nsp, RELS[r].relkind,
                  RELS[r].relkind == 'r' ? 2 : 0, g_tables[RELS[r].id].ncols, 0);
}

static void attr_row(gen *g, uint32_t rel, const char *name, const tw_column *col, int num,
                     int notnull, int hasdef) {
    uint32_t toid;
    int tm = col_typmod(col, &toid);
    const typinfo *ti = type_of(toid);
    char ident = col->identity == 'a' ? 'a' : col->identity == 'd' ? 'd' : 0;
    EMIT(g, V_I(rel), V_T(name), V_I(toid), V_I(-1), V_I(ti ? ti->len : -1), V_I(num), V_I(0),
         V_I(-1), V_I(tm), V_B(ti ? ti->byval : 0), V_C('i'), V_C(ti && ti->len == -1 ? 'x' : 'p'),
         V_C(0), V_B(notnull), V_B(hasdef), V_B(0), V_C(ident), V_C(0), V_B(0), V_B(1), V_I(0),
         V_I(ti ? ti->coll : 0), V_N, V_N, V_N, V_N);
}

/* The result columns of a view: its query planned against the snapshot. */
static void gen_view_attrs(gen *g, const tw_view *v);

static void gen_attribute(gen *g) {
    const tw_catalog *c = g->cat;
    char nm[300];
    for (int i = 0; i < c->ntables; i++) {
        const tw_table *t = c->tables[i];
        for (int k = 0; k < t->ncols; k++) {
            int inpk = 0;
            for (int j = 0; j < t->npk; j++) inpk |= t->pk[j] == k;
            attr_row(g, tw_pgcat_table_oid(t), t->cols[k].name, &t->cols[k], k + 1,
                     t->cols[k].notnull || inpk, t->cols[k].has_default != TW_DEF_NONE);
        }
        if (t->npk) {
            (void)nm;
            for (int j = 0; j < t->npk; j++) {
                tw_column cc = t->cols[t->pk[j]];
                cc.identity = 0;
                attr_row(g, tw_pgcat_pkey_oid(t), cc.name, &cc, j + 1, 0, 0);
            }
        }
    }
    for (int i = 0; i < c->nindexes; i++) {
        const tw_index *x = c->indexes[i];
        if (!x->table) continue;
        for (int j = 0; j < x->ncols; j++) {
            tw_column cc = x->table->cols[x->cols[j]];
            cc.identity = 0;
            attr_row(g, tw_pgcat_index_oid(x), cc.name, &cc, j + 1, 0, 0);
        }
    }
    for (int i = 0; i < c->nviews; i++) gen_view_attrs(g, c->views[i]);
    for (size_t r = 0; r < NRELS; r++) {
        const tw_table *t = &g_tables[RELS[r].id];
        for (int k = 0; k < t->ncols; k++)
            attr_row(g, RELS[r].oid, t->cols[k].name, &t->cols[k], k + 1, 0, 0);
    }
}

static void gen_type(gen *g) {
    for (size_t i = 0; i < NTYPES; i++) {
        const typinfo *t = &TYPES[i];
        char in[64], out[64];
        const char *base = t->elem ? "array" : t->typname;
        snprintf(in, sizeof in, "%sin", base);
        snprintf(out, sizeof out, "%sout", base);
        EMIT(g, V_I(t->oid), V_T(t->typname), V_I(TW_PGCAT_NSP_CATALOG), V_I(TW_PGCAT_ROLE),
             V_I(t->len), V_B(t->byval), V_C(t->typtype), V_C(t->category),
             V_B(t->oid == 25 || t->oid == 701 || t->oid == 1184), V_B(1), V_C(','), V_I(0),
             V_T(t->elem ? "array_subscript_handler" : "-"), V_I(t->elem), V_I(t->array), V_T(in),
             V_T(out), V_T("-"), V_T("-"), V_T("-"), V_T("-"), V_T("-"),
             V_C(t->len == 8                   ? 'd'
                 : t->len == 2                 ? 's'
                 : t->len == 1 || t->len == 64 ? 'c'
                                               : 'i'),
             V_C(t->len == -1 ? 'x' : 'p'), V_B(0), V_I(0), V_I(-1), V_I(0), V_I(t->coll), V_N, V_N,
             V_N);
    }
}

static void index_row(gen *g, uint32_t oid, uint32_t rel, const int *cols, int n, int unique,
                      int primary) {
    char key[512], zeros[512];
    intvec(key, sizeof key, cols, n, 0);
    size_t o = 0;
    for (int i = 0; i < n && o + 3 < sizeof zeros; i++) {
        if (i) zeros[o++] = ' ';
        zeros[o++] = '0';
    }
    zeros[o] = 0;
    EMIT(g, V_I(oid), V_I(rel), V_I(n), V_I(n), V_B(unique), V_B(0), V_B(primary), V_B(0), V_B(1),
         V_B(0), V_B(1), V_B(0), V_B(1), V_B(1), V_B(0), V_T(key), V_T(zeros), V_T(zeros),
         V_T(zeros), V_N, V_N);
}

static void gen_index(gen *g) {
    const tw_catalog *c = g->cat;
    for (int i = 0; i < c->ntables; i++) {
        const tw_table *t = c->tables[i];
        if (t->npk) index_row(g, tw_pgcat_pkey_oid(t), tw_pgcat_table_oid(t), t->pk, t->npk, 1, 1);
    }
    for (int i = 0; i < c->nindexes; i++) {
        const tw_index *x = c->indexes[i];
        if (!x->table) continue;
        index_row(g, tw_pgcat_index_oid(x), tw_pgcat_table_oid(x->table), x->cols, x->ncols,
                  x->unique, 0);
    }
}

static void gen_constraint(gen *g) {
    const tw_catalog *c = g->cat;
    char nm[300], key[512];
    for (int i = 0; i < c->ntables; i++) {
        const tw_table *t = c->tables[i];
        if (!t->npk) continue;
        pkey_name(t, nm, sizeof nm);
        intvec(key, sizeof key, t->pk, t->npk, 1);
        EMIT(g, V_I(pkcon_oid(t)), V_T(nm), V_I(TW_PGCAT_NSP_PUBLIC), V_C('p'), V_B(0), V_B(0),
             V_B(1), V_I(tw_pgcat_table_oid(t)), V_I(0), V_I(tw_pgcat_pkey_oid(t)), V_I(0), V_I(0),
             V_C(' '), V_C(' '), V_C(' '), V_B(1), V_I(0), V_B(1), V_T(key), V_N, V_N, V_N, V_N,
             V_N, V_N, V_N);
    }
    /* CHECK and FOREIGN KEY constraints */
    char fkey[512];
    for (int i = 0; i < c->ntables; i++) {
        const tw_table *t = c->tables[i];
        for (int k = 0; k < t->nchecks && k < 128; k++)
            EMIT(g, V_I(cons_oid(t, k)), V_T(t->checks[k].name), V_I(TW_PGCAT_NSP_PUBLIC), V_C('c'),
                 V_B(0), V_B(0), V_B(1), V_I(tw_pgcat_table_oid(t)), V_I(0), V_I(0), V_I(0), V_I(0),
                 V_C(' '), V_C(' '), V_C(' '), V_B(1), V_I(0), V_B(0), V_N, V_N, V_N, V_N, V_N, V_N,
                 V_N, V_T(t->checks[k].expr));
        for (int k = 0; k < t->nfks && k < 128; k++) {
            const tw_fkey *f = &t->fks[k];
            if (!f->ref) continue;
            intvec(key, sizeof key, f->cols, f->ncols, 1);
            intvec(fkey, sizeof fkey, f->refcols, f->ncols, 1);
            uint32_t ind = f->refidx ? tw_pgcat_index_oid(f->refidx) : tw_pgcat_pkey_oid(f->ref);
            EMIT(g, V_I(cons_oid(t, 128 + k)), V_T(f->name), V_I(TW_PGCAT_NSP_PUBLIC), V_C('f'),
                 V_B(0), V_B(0), V_B(1), V_I(tw_pgcat_table_oid(t)), V_I(0), V_I(ind), V_I(0),
                 V_I(tw_pgcat_table_oid(f->ref)), V_C((char)f->on_update), V_C((char)f->on_delete),
                 V_C('s'), V_B(1), V_I(0), V_B(1), V_T(key), V_T(fkey), V_N, V_N, V_N, V_N, V_N,
                 V_N);
        }
    }
}

static void gen_attrdef(gen *g) {
    const tw_catalog *c = g->cat;
    tw_buf b = {0};
    for (int i = 0; i < c->ntables; i++) {
        const tw_table *t = c->tables[i];
        for (int k = 0; k < t->ncols; k++) {
            if (t->cols[k].has_default == TW_DEF_NONE) continue;
            tw_buf_reset(&b);
            if (tw_pgcat_default_text(&t->cols[k], &b) || tw_buf_put_u8(&b, 0)) {
                g->failed = 1;
                tw_err_set(g->err, TWILL_NOMEM, NULL, "out of memory");
                break;
            }
            EMIT(g, V_I(attrdef_oid(t, k + 1)), V_I(tw_pgcat_table_oid(t)), V_I(k + 1),
                 V_T((const char *)b.p));
        }
    }
    tw_buf_free(&b);
}

static void gen_am(gen *g) {
    EMIT(g, V_I(2), V_T("heap"), V_T("heap_tableam_handler"), V_C('t'));
    EMIT(g, V_I(403), V_T("btree"), V_T("bthandler"), V_C('i'));
}

static void gen_database(gen *g) {
    EMIT(g, V_I(TW_PGCAT_DB_OID), V_T(TW_PGCAT_DATABASE), V_I(TW_PGCAT_ROLE), V_I(6), V_C('c'),
         V_B(0), V_B(1), V_I(-1), V_I(0), V_I(0), V_I(1663), V_T("C"), V_T("C"), V_N, V_N, V_N);
}

static void gen_roles(gen *g) {
    EMIT(g, V_T(TW_PGCAT_USER), V_B(1), V_B(1), V_B(1), V_B(1), V_B(1), V_B(0), V_I(-1),
         V_T("********"), V_N, V_B(1), V_N, V_I(TW_PGCAT_ROLE));
    EMIT(g, V_T("pg_database_owner"), V_B(0), V_B(1), V_B(0), V_B(0), V_B(0), V_B(0), V_I(-1),
         V_T("********"), V_N, V_B(0), V_N, V_I(TW_PGCAT_ROLE_DBOWNER));
}

static void gen_authid(gen *g) {
    EMIT(g, V_I(TW_PGCAT_ROLE), V_T(TW_PGCAT_USER), V_B(1), V_B(1), V_B(1), V_B(1), V_B(1), V_B(0),
         V_B(1), V_I(-1), V_N, V_N);
    EMIT(g, V_I(TW_PGCAT_ROLE_DBOWNER), V_T("pg_database_owner"), V_B(0), V_B(1), V_B(0), V_B(0),
         V_B(0), V_B(0), V_B(0), V_I(-1), V_N, V_N);
}

static void gen_user(gen *g) {
    EMIT(g, V_T(TW_PGCAT_USER), V_I(TW_PGCAT_ROLE), V_B(1), V_B(1), V_B(0), V_B(1), V_T("********"),
         V_N, V_N);
}

/* pg_proc: the built-in function registry plus the aggregates the analyzer knows. */
typedef struct procgen {
    gen *g;
    int i;
} procgen;

static uint32_t letter_oid(char l) {
    switch (l) {
    case 't':
        return 25;
    case 'i':
        return 20;
    case 'f':
        return 701;
    case 'n':
    case 'N':
        return 1700;
    case 'b':
        return 16;
    case 'd':
        return 1082;
    case 's':
        return 1114;
    case 'z':
        return 1184;
    case 'v':
        return 1186;
    case 'x':
        return 17;
    case 'u':
        return 2950;
    case 'j':
        return 114;
    case 'J':
        return 3802;
    default:
        return 2276; /* "any" */
    }
}

static int proc_cb(const tw_func *f, void *ud) {
    procgen *pg = ud;
    char args[256];
    size_t o = 0;
    int n = 0, nopt = 0, opt = 0;
    char variadic = 0;
    for (const char *p = f->sig; *p; p++) {
        if (*p == '|') {
            opt = 1;
            continue;
        }
        if (*p == '*') {
            variadic = 1;
            continue;
        }
        if (o + 12 < sizeof args)
            o += (size_t)snprintf(args + o, sizeof args - o, "%s%u", n ? " " : "",
                                  (unsigned)letter_oid(*p));
        n++;
        nopt += opt;
    }
    args[o] = 0;
    uint32_t ret = 25;
    if (f->ret >= 0xF0) { /* TW_RET_*: depends on the arguments */
        ret = 2283;       /* anyelement */
    } else {
        int32_t tm;
        ret = tw_type_pgoid((tw_sqltype){f->ret, -1}, &tm);
    }
    EMIT(pg->g, V_I(8000 + pg->i++), V_T(f->name), V_I(TW_PGCAT_NSP_CATALOG), V_I(TW_PGCAT_ROLE),
         V_I(12), V_F(1), V_F(0), V_I(variadic ? 2276 : 0), V_T("-"), V_C('f'), V_B(0), V_B(0),
         V_B(f->flags & TW_FN_STRICT), V_B(0), V_C(f->flags & TW_FN_VOLATILE ? 'v' : 'i'), V_C('s'),
         V_I(n), V_I(nopt), V_I(ret), V_T(args), V_N, V_N, V_N, V_N, V_N, V_T(f->name), V_N, V_N,
         V_N, V_N);
    return pg->g->failed ? -1 : 0;
}

static void gen_proc(gen *g) {
    procgen pg = {g, 0};
    tw_func_each(proc_cb, &pg);
    static const char *const aggs[] = {"count", "sum", "min", "max", "avg"};
    for (size_t i = 0; i < sizeof aggs / sizeof aggs[0]; i++)
        EMIT(g, V_I(8000 + pg.i++), V_T(aggs[i]), V_I(TW_PGCAT_NSP_CATALOG), V_I(TW_PGCAT_ROLE),
             V_I(12), V_F(1), V_F(0), V_I(0), V_T("-"), V_C('a'), V_B(0), V_B(0), V_B(0), V_B(0),
             V_C('i'), V_C('s'), V_I(1), V_I(0), V_I(2283), V_T("2283"), V_N, V_N, V_N, V_N, V_N,
             V_T("aggregate_dummy"), V_N, V_N, V_N, V_N);
}

static void gen_settings(gen *g) {
    static const char *const S[][5] = {
        /* name, setting, vartype, context, short description */
        {"server_version", "15.0", "string", "internal", "Shows the server version."},
        {"server_version_num", "150000", "integer", "internal",
         "Shows the server version as an integer."},
        {"server_encoding", "UTF8", "string", "internal",
         "Shows the server (database) character set encoding."},
        {"client_encoding", "UTF8", "string", "user", "Sets the client's character set encoding."},
        {"DateStyle", "ISO, MDY", "string", "user",
         "Sets the display format for date and time values."},
        {"IntervalStyle", "postgres", "enum", "user",
         "Sets the display format for interval values."},
        {"TimeZone", "UTC", "string", "user",
         "Sets the time zone for displaying and interpreting time stamps."},
        {"standard_conforming_strings", "on", "bool", "user",
         "Causes '...' strings to treat backslashes literally."},
        {"integer_datetimes", "on", "bool", "internal",
         "Shows whether datetimes are integer based."},
        {"search_path", "\"$user\", public", "string", "user",
         "Sets the schema search order for names that are not schema-qualified."},
        {"max_identifier_length", "63", "integer", "internal",
         "Shows the maximum identifier length."},
        {"max_index_keys", "32", "integer", "internal", "Shows the maximum number of index keys."},
        {"block_size", "4096", "integer", "internal", "Shows the size of a disk block."},
        {"transaction_isolation", "read committed", "enum", "user",
         "Sets the current transaction's isolation level."},
        {"default_transaction_isolation", "read committed", "enum", "user",
         "Sets the transaction isolation level of each new transaction."},
        {"lc_collate", "C", "string", "internal", "Shows the collation order locale."},
        {"lc_ctype", "C", "string", "internal",
         "Shows the character classification and case conversion locale."},
    };
    for (size_t i = 0; i < sizeof S / sizeof S[0]; i++)
        EMIT(g, V_T(S[i][0]), V_T(S[i][1]), V_N, V_T("Twill DB"), V_T(S[i][4]), V_N, V_T(S[i][3]),
             V_T(S[i][2]), V_T("default"), V_N, V_N, V_N, V_T(S[i][1]), V_T(S[i][1]), V_N, V_N,
             V_B(0));
}

static void gen_collation(gen *g) {
    EMIT(g, V_I(100), V_T("default"), V_I(TW_PGCAT_NSP_CATALOG), V_I(TW_PGCAT_ROLE), V_C('d'),
         V_B(1), V_I(-1), V_N, V_N, V_N, V_N);
    EMIT(g, V_I(950), V_T("C"), V_I(TW_PGCAT_NSP_CATALOG), V_I(TW_PGCAT_ROLE), V_C('c'), V_B(1),
         V_I(-1), V_T("C"), V_T("C"), V_N, V_N);
    EMIT(g, V_I(951), V_T("POSIX"), V_I(TW_PGCAT_NSP_CATALOG), V_I(TW_PGCAT_ROLE), V_C('c'), V_B(1),
         V_I(-1), V_T("POSIX"), V_T("POSIX"), V_N, V_N);
}

/* The type of a sequence: its owning column's integer type (serial: integer), else
 * bigint. */
static uint32_t seq_type(const tw_catalog *c, const tw_seq *s) {
    const tw_table *t = s->owner && s->owner[0] ? tw_catalog_table(c, s->owner) : NULL;
    for (int k = 0; t && k < t->ncols; k++)
        if (t->cols[k].has_default == TW_DEF_SEQ && t->cols[k].seqname &&
            !strcmp(t->cols[k].seqname, s->name) && ty_is_int(t->cols[k].type.ty))
            return tw_type_pgoid(t->cols[k].type, NULL);
    return 20;
}

static void gen_sequence(gen *g) {
    const tw_catalog *c = g->cat;
    for (int i = 0; i < c->nseqs; i++) {
        const tw_seq *s = c->seqs[i];
        EMIT(g, V_I(tw_pgcat_seq_oid(s)), V_I(seq_type(c, s)), V_I(s->start), V_I(s->inc),
             V_I(s->max), V_I(s->min), V_I(s->cache), V_B(s->cycle));
    }
}

/* Owned sequences (serial / identity columns): 'a' (auto) or 'i' (internal, identity). */
static void gen_depend(gen *g) {
    const tw_catalog *c = g->cat;
    for (int i = 0; i < c->nseqs; i++) {
        const tw_seq *s = c->seqs[i];
        if (!s->owner || !s->owner[0]) continue;
        const tw_table *t = tw_catalog_table(c, s->owner);
        if (!t) continue;
        for (int k = 0; k < t->ncols; k++)
            if (t->cols[k].has_default == TW_DEF_SEQ && t->cols[k].seqname &&
                !strcmp(t->cols[k].seqname, s->name))
                EMIT(g, V_I(1259), V_I(tw_pgcat_seq_oid(s)), V_I(0), V_I(1259),
                     V_I(tw_pgcat_table_oid(t)), V_I(k + 1), V_C(t->cols[k].identity ? 'i' : 'a'));
    }
}

static void gen_tablespace(gen *g) {
    EMIT(g, V_I(1663), V_T("pg_default"), V_I(TW_PGCAT_ROLE), V_N, V_N);
    EMIT(g, V_I(1664), V_T("pg_global"), V_I(TW_PGCAT_ROLE), V_N, V_N);
}

static void gen_tables(gen *g) {
    const tw_catalog *c = g->cat;
    for (int i = 0; i < c->ntables; i++) {
        const tw_table *t = c->tables[i];
        EMIT(g, V_T("public"), V_T(t->name), V_T(TW_PGCAT_USER), V_N,
             V_B(t->npk > 0 || t->nidx > 0), V_B(0), V_B(0), V_B(0));
    }
}

/* The SELECT of a stored CREATE VIEW text: what follows its first top-level AS. */
const char *tw_pgcat_view_query(const tw_view *v) {
    const char *s = v->sql;
    for (const char *p = s; *p; p++) {
        if ((p[0] == 'A' || p[0] == 'a') && (p[1] == 'S' || p[1] == 's') && p > s &&
            (p[-1] == ' ' || p[-1] == '\n' || p[-1] == '\t' || p[-1] == ')') &&
            (p[2] == ' ' || p[2] == '\n' || p[2] == '\t' || p[2] == '(')) {
            p += 2;
            while (*p == ' ' || *p == '\n' || *p == '\t') p++;
            return p;
        }
    }
    return s;
}

static void gen_views(gen *g) {
    const tw_catalog *c = g->cat;
    for (int i = 0; i < c->nviews; i++)
        EMIT(g, V_T("public"), V_T(c->views[i]->name), V_T(TW_PGCAT_USER),
             V_T(tw_pgcat_view_query(c->views[i])));
}

static void gen_indexes(gen *g) {
    const tw_catalog *c = g->cat;
    tw_buf b = {0};
    char nm[300];
    for (int i = 0; i < c->ntables; i++) {
        const tw_table *t = c->tables[i];
        if (!t->npk) continue;
        tw_buf_reset(&b);
        pkey_name(t, nm, sizeof nm);
        if (tw_pgcat_indexdef(c, tw_pgcat_pkey_oid(t), 0, &b) || tw_buf_put_u8(&b, 0)) break;
        EMIT(g, V_T("public"), V_T(t->name), V_T(nm), V_N, V_T((const char *)b.p));
    }
    for (int i = 0; i < c->nindexes; i++) {
        const tw_index *x = c->indexes[i];
        tw_buf_reset(&b);
        if (tw_pgcat_indexdef(c, tw_pgcat_index_oid(x), 0, &b) || tw_buf_put_u8(&b, 0)) break;
        EMIT(g, V_T("public"), V_T(x->table_name), V_T(x->name), V_N, V_T((const char *)b.p));
    }
    tw_buf_free(&b);
}

static void gen_sequences(gen *g) {
    const tw_catalog *c = g->cat;
    for (int i = 0; i < c->nseqs; i++) {
        const tw_seq *s = c->seqs[i];
        char tn[64];
        const char *ty = tw_pgcat_format_type(seq_type(c, s), -1, tn, sizeof tn);
        EMIT(g, V_T("public"), V_T(s->name), V_T(TW_PGCAT_USER), V_T(ty), V_I(s->start),
             V_I(s->min), V_I(s->max), V_I(s->inc), V_B(s->cycle), V_I(s->cache), V_N);
    }
}

/* ---- information_schema ---- */

static void gen_is_tables(gen *g) {
    const tw_catalog *c = g->cat;
    for (int i = 0; i < c->ntables; i++)
        EMIT(g, V_T(TW_PGCAT_DATABASE), V_T("public"), V_T(c->tables[i]->name), V_T("BASE TABLE"),
             V_N, V_N, V_N, V_N, V_N, V_T("YES"), V_T("NO"), V_N);
    for (int i = 0; i < c->nviews; i++)
        EMIT(g, V_T(TW_PGCAT_DATABASE), V_T("public"), V_T(c->views[i]->name), V_T("VIEW"), V_N,
             V_N, V_N, V_N, V_N, V_T("NO"), V_T("NO"), V_N);
}

static void is_column_row(gen *g, const char *table, const tw_column *col, int num, int notnull,
                          const char *deflt, int updatable) {
    uint32_t toid;
    int32_t tm = col_typmod(col, &toid);
    const typinfo *ti = type_of(toid);
    char dt[96];
    const char *data_type = tw_pgcat_format_type(toid, -1, dt, sizeof dt);
    if (ti && ti->elem) data_type = "ARRAY";
    if (toid == 1042) data_type = "character";
    tw_val charmax = V_N, octets = V_N, prec = V_N, radix = V_N, scale = V_N, dtprec = V_N;
    if (toid == 1042 || toid == 1043) {
        if (tm >= 4)
            charmax = V_I(tm - 4), octets = V_I((int64_t)(tm - 4) * 4);
        else
            octets = V_I(1073741824);
    } else if (toid == 25) {
        octets = V_I(1073741824);
    } else if (toid == 21 || toid == 23 || toid == 20) {
        prec = V_I(toid == 21 ? 16 : toid == 23 ? 32 : 64), radix = V_I(2), scale = V_I(0);
    } else if (toid == 700 || toid == 701) {
        prec = V_I(toid == 700 ? 24 : 53), radix = V_I(2);
    } else if (toid == 1700) {
        radix = V_I(10);
        if (tm >= 4) prec = V_I(((tm - 4) >> 16) & 0xFFFF), scale = V_I((tm - 4) & 0xFFFF);
    } else if (toid == 1082) {
        dtprec = V_I(0);
    } else if (toid == 1114 || toid == 1184 || toid == 1186) {
        dtprec = V_I(6);
    }
    char udt[64], num_s[16];
    snprintf(udt, sizeof udt, "%s", ti ? ti->typname : "unknown");
    snprintf(num_s, sizeof num_s, "%d", num);
    int ident = col->identity == 'a' || col->identity == 'd';
    EMIT(g, V_T(TW_PGCAT_DATABASE), V_T("public"), V_T(table), V_T(col->name), V_I(num),
         V_T(ident ? NULL : deflt), V_T(notnull ? "NO" : "YES"), V_T(data_type), charmax, octets,
         prec, radix, scale, dtprec, V_N, V_N, V_N, V_N, V_N,
         V_T(ti && ti->coll ? TW_PGCAT_DATABASE : NULL), V_T(ti && ti->coll ? "pg_catalog" : NULL),
         V_T(ti && ti->coll ? (ti->coll == 950 ? "C" : "default") : NULL), V_N, V_N, V_N,
         V_T(TW_PGCAT_DATABASE), V_T("pg_catalog"), V_T(udt), V_N, V_N, V_N, V_N, V_T(num_s),
         V_T("NO"), V_T(ident ? "YES" : "NO"),
         V_T(ident ? (col->identity == 'a' ? "ALWAYS" : "BY DEFAULT") : NULL), V_N, V_N, V_N, V_N,
         V_T(ident ? "NO" : NULL), V_T("NEVER"), V_N, V_T(updatable ? "YES" : "NO"));
}

static void gen_is_columns(gen *g) {
    const tw_catalog *c = g->cat;
    tw_buf b = {0};
    for (int i = 0; i < c->ntables; i++) {
        const tw_table *t = c->tables[i];
        for (int k = 0; k < t->ncols; k++) {
            int inpk = 0;
            for (int j = 0; j < t->npk; j++) inpk |= t->pk[j] == k;
            tw_buf_reset(&b);
            const char *d = NULL;
            if (t->cols[k].has_default != TW_DEF_NONE) {
                if (tw_pgcat_default_text(&t->cols[k], &b) || tw_buf_put_u8(&b, 0)) break;
                d = (const char *)b.p;
            }
            is_column_row(g, t->name, &t->cols[k], k + 1, t->cols[k].notnull || inpk, d, 1);
        }
    }
    tw_buf_free(&b);
    g->is_mode = 1;
    for (int i = 0; i < c->nviews; i++) gen_view_attrs(g, c->views[i]);
    g->is_mode = 0;
}

static void gen_is_schemata(gen *g) {
    static const char *const N[] = {"information_schema", "pg_catalog", "public"};
    for (size_t i = 0; i < 3; i++)
        EMIT(g, V_T(TW_PGCAT_DATABASE), V_T(N[i]), V_T(TW_PGCAT_USER), V_N, V_N, V_N, V_N);
}

static void gen_is_table_constraints(gen *g) {
    const tw_catalog *c = g->cat;
    char nm[300];
    for (int i = 0; i < c->ntables; i++) {
        const tw_table *t = c->tables[i];
        if (!t->npk) continue;
        pkey_name(t, nm, sizeof nm);
        EMIT(g, V_T(TW_PGCAT_DATABASE), V_T("public"), V_T(nm), V_T(TW_PGCAT_DATABASE),
             V_T("public"), V_T(t->name), V_T("PRIMARY KEY"), V_T("NO"), V_T("NO"), V_T("YES"),
             V_T("YES"));
    }
}

static void gen_is_key_column_usage(gen *g) {
    const tw_catalog *c = g->cat;
    char nm[300];
    for (int i = 0; i < c->ntables; i++) {
        const tw_table *t = c->tables[i];
        pkey_name(t, nm, sizeof nm);
        for (int j = 0; j < t->npk; j++)
            EMIT(g, V_T(TW_PGCAT_DATABASE), V_T("public"), V_T(nm), V_T(TW_PGCAT_DATABASE),
                 V_T("public"), V_T(t->name), V_T(t->cols[t->pk[j]].name), V_I(j + 1), V_N);
    }
}

static void gen_is_views(gen *g) {
    const tw_catalog *c = g->cat;
    for (int i = 0; i < c->nviews; i++)
        EMIT(g, V_T(TW_PGCAT_DATABASE), V_T("public"), V_T(c->views[i]->name),
             V_T(tw_pgcat_view_query(c->views[i])), V_T("NONE"), V_T("NO"), V_T("NO"), V_T("NO"),
             V_T("NO"), V_T("NO"));
}

static void gen_is_sequences(gen *g) {
    const tw_catalog *c = g->cat;
    char st[32], mn[32], mx[32], inc[32];
    for (int i = 0; i < c->nseqs; i++) {
        const tw_seq *s = c->seqs[i];
        snprintf(st, sizeof st, "%lld", (long long)s->start);
        snprintf(mn, sizeof mn, "%lld", (long long)s->min);
        snprintf(mx, sizeof mx, "%lld", (long long)s->max);
        snprintf(inc, sizeof inc, "%lld", (long long)s->inc);
        char tn[64];
        uint32_t toid = seq_type(c, s);
        const char *ty = tw_pgcat_format_type(toid, -1, tn, sizeof tn);
        EMIT(g, V_T(TW_PGCAT_DATABASE), V_T("public"), V_T(s->name), V_T(ty),
             V_I(toid == 21   ? 16
                 : toid == 23 ? 32
                              : 64),
             V_I(2), V_I(0), V_T(st), V_T(mn), V_T(mx), V_T(inc), V_T(s->cycle ? "YES" : "NO"));
    }
}

/* ---- views' columns ---- */

static void gen_view_attrs(gen *g, const tw_view *v) {
    /* Plan "SELECT * FROM view" against the snapshot to learn the columns' types. */
    tw_buf q = {0};
    if (tw_buf_append(&q, "SELECT * FROM \"", 15)) goto oom;
    for (const char *p = v->name; *p; p++)
        if ((*p == '"' && tw_buf_put_u8(&q, '"')) || tw_buf_put_u8(&q, (uint8_t)*p)) goto oom;
    if (tw_buf_append(&q, "\"", 1)) goto oom;
    tw_parsetree *tree = NULL;
    tw_plan *plan = NULL;
    tw_err e;
    tw_err_clear(&e);
    if (tw_parse((const char *)q.p, q.len, &tree, &e) == TWILL_OK &&
        tw_plan_build(tree, 0, (tw_catalog *)g->cat, 0, &plan, &e) == TWILL_OK) {
        uint32_t oid = tw_pgcat_view_oid(v);
        for (int i = 0; i < plan->ncols; i++) {
            tw_column col = {0};
            col.name = plan->colnames[i] ? plan->colnames[i] : "?column?";
            col.type = plan->coltypes[i];
            if (col.type.ty == TY_UNKNOWN) col.type.ty = TY_TEXT;
            if (g->is_mode)
                is_column_row(g, v->name, &col, i + 1, 0, NULL, 0);
            else
                attr_row(g, oid, col.name, &col, i + 1, 0, 0);
        }
    }
    /* a view that no longer plans (a table it reads was dropped) has no columns here */
    if (plan) tw_plan_free(plan);
    if (tree) tw_parsetree_unref(tree);
    tw_buf_free(&q);
    return;
oom:
    tw_buf_free(&q);
    g->failed = 1;
    tw_err_set(g->err, TWILL_NOMEM, NULL, "out of memory");
}

int tw_pgcat_rows(const tw_catalog *cat, int vrel, tw_val ***rows, size_t *nrows, tw_err *err) {
    *rows = NULL;
    *nrows = 0;
    if (ensure_init() || vrel <= R_NONE || vrel >= R_COUNT || !g_defs[vrel])
        return tw_err_set(err, TWILL_ERROR, "XX000", "unknown catalog relation");
    gen g = {.cat = cat, .ncols = g_tables[vrel].ncols, .err = err, .def = &g_tables[vrel]};
    switch (vrel) {
    case R_NAMESPACE:
        gen_namespace(&g);
        break;
    case R_CLASS:
        gen_class(&g);
        break;
    case R_ATTRIBUTE:
        gen_attribute(&g);
        break;
    case R_TYPE:
        gen_type(&g);
        break;
    case R_INDEX:
        gen_index(&g);
        break;
    case R_CONSTRAINT:
        gen_constraint(&g);
        break;
    case R_ATTRDEF:
        gen_attrdef(&g);
        break;
    case R_AM:
        gen_am(&g);
        break;
    case R_DATABASE:
        gen_database(&g);
        break;
    case R_ROLES:
        gen_roles(&g);
        break;
    case R_AUTHID:
        gen_authid(&g);
        break;
    case R_USER:
        gen_user(&g);
        break;
    case R_PROC:
        gen_proc(&g);
        break;
    case R_SETTINGS:
        gen_settings(&g);
        break;
    case R_COLLATION:
        gen_collation(&g);
        break;
    case R_SEQUENCE:
        gen_sequence(&g);
        break;
    case R_DEPEND:
        gen_depend(&g);
        break;
    case R_TABLESPACE:
        gen_tablespace(&g);
        break;
    case R_TABLES:
        gen_tables(&g);
        break;
    case R_VIEWS:
        gen_views(&g);
        break;
    case R_INDEXES:
        gen_indexes(&g);
        break;
    case R_SEQUENCES:
        gen_sequences(&g);
        break;
    case R_IS_TABLES:
        gen_is_tables(&g);
        break;
    case R_IS_COLUMNS:
        gen_is_columns(&g);
        break;
    case R_IS_SCHEMATA:
        gen_is_schemata(&g);
        break;
    case R_IS_TABLE_CONSTRAINTS:
        gen_is_table_constraints(&g);
        break;
    case R_IS_KEY_COLUMN_USAGE:
        gen_is_key_column_usage(&g);
        break;
    case R_IS_VIEWS:
        gen_is_views(&g);
        break;
    case R_IS_SEQUENCES:
        gen_is_sequences(&g);
        break;
    default: /* always empty */
        break;
    }
    tw_arena_free(&g.mem);
    if (g.failed) {
        for (size_t i = 0; i < g.n; i++) free(g.rows[i]);
        free(g.rows);
        if (err->code == TWILL_OK) tw_err_set(err, TWILL_NOMEM, NULL, "out of memory");
        return err->code;
    }
    *rows = g.rows;
    *nrows = g.n;
    return TWILL_OK;
}

/* ---- definitions as text ---- */

static int put_ident(tw_buf *b, const char *s) {
    int plain = (s[0] >= 'a' && s[0] <= 'z') || s[0] == '_';
    for (const char *p = s; *p && plain; p++)
        plain = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '$';
    if (plain) return tw_buf_append(b, s, strlen(s));
    if (tw_buf_put_u8(b, '"')) return -1;
    for (const char *p = s; *p; p++)
        if ((*p == '"' && tw_buf_put_u8(b, '"')) || tw_buf_put_u8(b, (uint8_t)*p)) return -1;
    return tw_buf_put_u8(b, '"');
}

static int put_cols(tw_buf *b, const tw_table *t, const int *cols, int n) {
    if (tw_buf_put_u8(b, '(')) return -1;
    for (int i = 0; i < n; i++)
        if ((i && tw_buf_append(b, ", ", 2)) || put_ident(b, t->cols[cols[i]].name)) return -1;
    return tw_buf_put_u8(b, ')');
}

int tw_pgcat_indexdef(const tw_catalog *cat, uint64_t oid, int col, tw_buf *out) {
    tw_pgcat_obj o;
    tw_pgcat_find_oid(cat, oid, &o);
    const tw_table *t = o.table;
    const int *cols;
    int n, unique;
    char nm[300];
    const char *name;
    if (o.kind == PGCAT_PKEY) {
        cols = t->pk, n = t->npk, unique = 1;
        pkey_name(t, nm, sizeof nm);
        name = nm;
    } else if (o.kind == PGCAT_INDEX && t) {
        cols = o.index->cols, n = o.index->ncols, unique = o.index->unique;
        name = o.index->name;
    } else {
        return -1;
    }
    if (col > 0) return col <= n ? put_ident(out, t->cols[cols[col - 1]].name) : 0;
    int rc =
        tw_buf_append(out, unique ? "CREATE UNIQUE INDEX " : "CREATE INDEX ", unique ? 20 : 13) ||
        put_ident(out, name) || tw_buf_append(out, " ON public.", 11) || put_ident(out, t->name) ||
        tw_buf_append(out, " USING btree ", 13) || put_cols(out, t, cols, n);
    return rc ? -1 : 0;
}

int tw_pgcat_constraintdef(const tw_catalog *cat, uint64_t oid, tw_buf *out) {
    for (int i = 0; cat && i < cat->ntables; i++) {
        const tw_table *t = cat->tables[i];
        if (t->npk && pkcon_oid(t) == oid)
            return tw_buf_append(out, "PRIMARY KEY ", 12) || put_cols(out, t, t->pk, t->npk) ? -1
                                                                                             : 0;
        for (int k = 0; k < t->nchecks && k < 128; k++)
            if (cons_oid(t, k) == oid)
                return tw_buf_append(out, "CHECK (", 7) ||
                               tw_buf_append(out, t->checks[k].expr, strlen(t->checks[k].expr)) ||
                               tw_buf_put_u8(out, ')')
                           ? -1
                           : 0;
        for (int k = 0; k < t->nfks && k < 128; k++) {
            const tw_fkey *f = &t->fks[k];
            if (!f->ref || cons_oid(t, 128 + k) != oid) continue;
            static const char *const act[] = {"", " RESTRICT", " CASCADE", " SET NULL",
                                              " SET DEFAULT"};
            int u = f->on_update == 'r'   ? 1
                    : f->on_update == 'c' ? 2
                    : f->on_update == 'n' ? 3
                    : f->on_update == 'd' ? 4
                                          : 0;
            int d = f->on_delete == 'r'   ? 1
                    : f->on_delete == 'c' ? 2
                    : f->on_delete == 'n' ? 3
                    : f->on_delete == 'd' ? 4
                                          : 0;
            if (tw_buf_append(out, "FOREIGN KEY ", 12) || put_cols(out, t, f->cols, f->ncols) ||
                tw_buf_append(out, " REFERENCES ", 12) || put_ident(out, f->ref->name) ||
                put_cols(out, f->ref, f->refcols, f->ncols) ||
                (u && (tw_buf_append(out, " ON UPDATE", 10) ||
                       tw_buf_append(out, act[u], strlen(act[u])))) ||
                (d && (tw_buf_append(out, " ON DELETE", 10) ||
                       tw_buf_append(out, act[d], strlen(act[d])))))
                return -1;
            return 0;
        }
    }
    return -1;
}

static int put_quoted(tw_buf *b, const char *s, size_t n) {
    if (tw_buf_put_u8(b, '\'')) return -1;
    for (size_t i = 0; i < n; i++)
        if ((s[i] == '\'' && tw_buf_put_u8(b, '\'')) || tw_buf_put_u8(b, (uint8_t)s[i])) return -1;
    return tw_buf_put_u8(b, '\'');
}

int tw_pgcat_default_text(const tw_column *col, tw_buf *out) {
    switch (col->has_default) {
    case TW_DEF_SEQ:
        return tw_buf_append(out, "nextval(", 8) ||
                       put_quoted(out, col->seqname, strlen(col->seqname)) ||
                       tw_buf_append(out, "::regclass)", 11)
                   ? -1
                   : 0;
    case TW_DEF_NOW: {
        const char *s = col->nowfn == TW_SEQ_NOW_TS     ? "LOCALTIMESTAMP"
                        : col->nowfn == TW_SEQ_NOW_DATE ? "CURRENT_DATE"
                        : col->nowfn == TW_SEQ_GEN_UUID ? "gen_random_uuid()"
                                                        : "now()";
        return tw_buf_append(out, s, strlen(s)) ? -1 : 0;
    }
    case TW_DEF_CONST:
        break;
    default:
        return 0;
    }
    const tw_val *v = &col->defval;
    if (v->k == VK_NULL) return tw_buf_append(out, "NULL", 4) ? -1 : 0;
    tw_buf txt = {0};
    if (tw_val_out(v, col->type.ty == TY_FLOAT4, &txt)) {
        tw_buf_free(&txt);
        return -1;
    }
    int rc = 0;
    int ty = col->type.ty;
    int negative = txt.len && txt.p[0] == '-';
    if (v->k == VK_BOOL) {
        rc = tw_buf_append(out, v->i ? "true" : "false", v->i ? 4 : 5);
    } else if ((ty == TY_INT4 || ty == TY_NUMERIC) && !negative) {
        rc = tw_buf_append(out, txt.p, txt.len);
    } else {
        char tn[96];
        int32_t tm;
        uint32_t toid = tw_type_pgoid(col->type, &tm);
        const char *name = tw_pgcat_format_type(toid, -1, tn, sizeof tn);
        if (toid == 1042) name = "bpchar";
        rc = put_quoted(out, (const char *)txt.p, txt.len) || tw_buf_append(out, "::", 2) ||
             tw_buf_append(out, name ? name : "text", strlen(name ? name : "text"));
    }
    tw_buf_free(&txt);
    return rc ? -1 : 0;
}
