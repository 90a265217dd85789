/**
 * The functions MariaDB and MySQL have built in, lower case. A name here called without a database
 * is the built-in (the server picks a built-in over a stored function of the same name unless the
 * call names the database), so it runs no code of the target owner's; any other function a
 * statement calls is a stored function, a loadable (UDF) function or one the gateway does not know,
 * and guardrails judge it by its body (core/policy/mysql-routine-effects.ts).
 *
 * Read from the help tables MariaDB 10.11 ships (mysql.help_topic: the topics of the function
 * categories and Geographic Features, and the JSON, window, sequence, dynamic column and encryption
 * functions listed under other categories), plus MySQL 8.0's own (REGEXP_LIKE, ANY_VALUE, UUID_TO_BIN,
 * GROUPING, STATEMENT_DIGEST...). A built-in missing here is judged as code the gateway cannot read
 * (refused under a guardrail that denies writes), never passed unjudged.
 */
export const MYSQL_BUILTIN_FUNCTIONS: ReadonlySet<string> = new Set(
  [
    // What the grammar library reads as calls: EXISTS / NOT / ANY / ALL / SOME (...), ROW(...), BINARY(x),
    // MATCH ... AGAINST, VALUES(c) in an upsert, a parenthesised subquery, `SET x = ON`; and synonyms the help omits.
    "exists not any all some row binary match_against values select on sha mbrequal mbrequals",
    // MySQL 8's spatial functions MariaDB lacks.
    "st_buffer_strategy st_makeenvelope mbrcovers st_numinteriorring",
    "abs acos add_months adddate addtime aes_decrypt aes_encrypt any_value area asbinary ascii asin astext aswkb",
    "aswkt atan atan2 avg benchmark bin bin_to_uuid binlog_gtid_pos bit_and bit_count bit_length bit_or bit_xor",
    "boundary buffer cast ceil ceiling centroid char char_length character_length charset chr coalesce coercibility",
    "collation column_add column_check column_create column_delete column_exists column_get column_json column_list",
    "compress concat concat_ws connection_id contains conv convert convert_tz convexhull cos cot count crc32 crc32c",
    "crosses cume_dist curdate current_date current_role current_time current_timestamp current_user curtime",
    "database date date_add date_format date_sub datediff day dayname dayofmonth dayofweek dayofyear decode",
    "decode_histogram decode_oracle default degrees dense_rank des_decrypt des_encrypt dimension disjoint div elt",
    "encode encrypt endpoint envelope equals exp export_set exteriorring extract extractvalue field find_in_set",
    "first_value floor format format_bytes format_pico_time found_rows from_base64 from_days from_unixtime",
    "geomcollfromtext geomcollfromwkb geometrycollection geometrycollectionfromtext geometrycollectionfromwkb",
    "geometryfromtext geometryfromwkb geometryn geometrytype geomfromtext geomfromwkb get_format get_lock glength",
    "greatest group_concat grouping gtid_subset gtid_subtract hex hour icu_version if ifnull in inet6_aton",
    "inet6_ntoa inet_aton inet_ntoa insert instr interiorringn intersects interval is is_free_lock is_ipv4",
    "is_ipv4_compat is_ipv4_mapped is_ipv6 is_used_lock is_uuid isclosed isempty isnull isring issimple json_array",
    "json_array_append json_array_insert json_array_intersect json_arrayagg json_compact json_contains",
    "json_contains_path json_depth json_detailed json_equals json_exists json_extract json_insert json_key_value",
    "json_keys json_length json_loose json_merge json_merge_patch json_merge_preserve json_normalize json_object",
    "json_object_filter_keys json_object_to_array json_objectagg json_overlaps json_pretty json_query json_quote",
    "json_remove json_replace json_schema_valid json_schema_validation_report json_search json_set",
    "json_storage_free json_storage_size json_table json_type json_unquote json_valid json_value kdf lag last_day",
    "last_insert_id last_value lastval lcase lead least left length lengthb like linefromtext linefromwkb",
    "linestring linestringfromtext linestringfromwkb ln load_file localtime localtimestamp locate log log10 log2",
    "lower lpad ltrim make_set makedate maketime master_gtid_wait master_pos_wait max mbrcontains mbrcoveredby",
    "mbrdisjoint mbrequal mbrintersects mbroverlaps mbrtouches mbrwithin md5 median microsecond mid min minute",
    "mlinefromtext mlinefromwkb mod month monthname months_between mpointfromtext mpointfromwkb mpolyfromtext",
    "mpolyfromwkb multilinestring multilinestringfromtext multilinestringfromwkb multipoint multipointfromtext",
    "multipointfromwkb multipolygon multipolygonfromtext multipolygonfromwkb name_const natural_sort_key nextval",
    "now nth_value ntile nullif numgeometries numinteriorrings numpoints nvl nvl2 oct octet_length old_password",
    "old_value ord overlaps parentheses password percent_rank percentile_cont percentile_disc period_add",
    "period_diff pi point pointfromtext pointfromwkb pointn pointonsurface polyfromtext polyfromwkb polygon",
    "polygonfromtext polygonfromwkb position pow power ps_current_thread_id ps_thread_id quarter quote radians rand",
    "random_bytes rank regexp regexp_instr regexp_like regexp_replace regexp_substr release_all_locks release_lock",
    "repeat replace reverse right rlike roles_graphml round row_count row_number rownum rpad rtrim schema",
    "sec_to_time second session_user setval sformat sha1 sha2 sign sin sleep soundex source_pos_wait space sqrt",
    "srid st_area st_asbinary st_asgeojson st_astext st_aswkb st_aswkt st_boundary st_buffer st_centroid st_collect",
    "st_contains st_convexhull st_crosses st_difference st_dimension st_disjoint st_distance st_distance_sphere",
    "st_endpoint st_envelope st_equals st_exteriorring st_frechetdistance st_geohash st_geomcollfromtext",
    "st_geomcollfromwkb st_geometrycollectionfromtext st_geometrycollectionfromwkb st_geometryfromtext",
    "st_geometryfromwkb st_geometryn st_geometrytype st_geomfromgeojson st_geomfromtext st_geomfromwkb",
    "st_hausdorffdistance st_interiorringn st_intersection st_intersects st_isclosed st_isempty st_isring",
    "st_issimple st_isvalid st_latfromgeohash st_latitude st_length st_linefromtext st_linefromwkb",
    "st_lineinterpolatepoint st_lineinterpolatepoints st_linestringfromtext st_linestringfromwkb st_longfromgeohash",
    "st_longitude st_mlinefromtext st_mpointfromtext st_mpointfromwkb st_mpolyfromtext st_mpolyfromwkb",
    "st_multilinestringfromtext st_multipointfromtext st_multipointfromwkb st_multipolygonfromtext",
    "st_multipolygonfromwkb st_numgeometries st_numinteriorrings st_numpoints st_overlaps st_pointatdistance",
    "st_pointfromgeohash st_pointfromtext st_pointfromwkb st_pointn st_pointonsurface st_polyfromtext",
    "st_polyfromwkb st_polygonfromtext st_polygonfromwkb st_relate st_simplify st_srid st_startpoint st_swapxy",
    "st_symdifference st_touches st_transform st_union st_validate st_within st_x st_y startpoint statement_digest",
    "statement_digest_text std stddev stddev_pop stddev_samp str_to_date strcmp subdate substr substring",
    "substring_index subtime sum sys_guid sysdate system_user tan time time_format time_to_sec timediff timestamp",
    "timestampadd timestampdiff to_base64 to_char to_date to_days to_number to_seconds touches trim trim_oracle",
    "trunc truncate ucase uncompress uncompressed_length unhex unix_timestamp updatexml upper user utc_date",
    "utc_time utc_timestamp uuid uuid_short uuid_to_bin uuid_v4 uuid_v7 validate_password_strength value values",
    "var_pop var_samp variance vec_distance vec_distance_cosine vec_distance_euclidean vec_fromtext vec_totext",
    "version wait_for_executed_gtid_set week weekday weekofyear weight_string within wsrep_last_seen_gtid",
    "wsrep_last_written_gtid wsrep_provider wsrep_sync_wait_upto_gtid x xor y year yearweek",
  ]
    .join(" ")
    .split(" "),
);
