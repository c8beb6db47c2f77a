"""User-facing messages in Simplified Chinese first, English available."""

from __future__ import annotations

from typing import Any

MESSAGES: dict[str, tuple[str, str]] = {
    "not_found": ("未找到", "Not found"),
    "area_not_found": ("区域不存在：{id}", "Area not found: {id}"),
    "department_not_found": ("承办单位不存在：{id}", "Department not found: {id}"),
    "category_not_found": ("分类不存在：{id}", "Category not found: {id}"),
    "ticket_not_found": ("工单不存在或无权查看：{id}", "Ticket not found or not visible to you: {id}"),
    "user_not_found": ("用户不存在：{id}", "User not found: {id}"),
    "sla_rule_not_found": ("时限规则不存在：{id}", "SLA rule not found: {id}"),
    "extension_not_found": ("延期申请不存在：{id}", "Extension request not found: {id}"),
    "area_level_order": (
        "区域 {code} 的层级 {level} 必须低于上级层级 {parent_level}",
        "Area {code}: level {level} must be below its parent's level {parent_level}",
    ),
    "area_parent_required": ("区域 {code} 必须指定上级区域", "Area {code} needs a parent area"),
    "area_cycle": ("区域 {code} 不能成为自己下级的下级", "Area {code} cannot be moved under its own subtree"),
    "org_file_format": ("无法识别的组织机构文件：{path}", "Unrecognised org file: {path}"),
    # dispatch
    "routing_target_required": (
        "派单规则须指定承办单位或属地单位类型（二选一）",
        "A routing rule needs either a department or a local unit kind (one of the two)",
    ),
    "routing_rule_not_found": ("派单规则不存在：{id}", "Routing rule not found: {id}"),
    "matter_not_found": ("事项不存在：{id}", "Matter not found: {id}"),
    "matter_file_row": (
        "派单目录第 {line} 行的「{field}」有误：{reason}。整个文件未导入。",
        "Line {line} of the matter list, field {field}: {reason}. Nothing was imported.",
    ),
    "matter_field_required": ("必须填写", "required"),
    "matter_code_mismatch": (
        "地址中的事项编码 {path} 与内容中的 {body} 不一致",
        "The matter code in the address ({path}) differs from the one in the body ({body})",
    ),
    "matter_code_repeated": ("与第 {line} 行的编码重复", "the same code as line {line}"),
    "matter_file_format": (
        "派单目录只能是 CSV 或 XLSX 文件：{path}",
        "The matter list must be a CSV or XLSX file: {path}",
    ),
    "matter_file_columns": (
        "派单目录缺少列：{missing}（可用的列：{known}）",
        "The matter list lacks the columns {missing} (known: {known})",
    ),
    "matter_target_required": (
        "事项须指定承办单位（department_code）或属地单位类型（local_kind），二选一",
        "A matter needs a department (department_code) or a kind of local unit (local_kind), one of the two",
    ),
    "matter_local_kind": (
        "属地单位类型 {kind} 不存在（可用：{known}）",
        "No kind of local unit {kind} (known: {known})",
    ),
    "routing_csv_columns": ("派单规则表缺少列：{missing}", "Routing table file lacks columns: {missing}"),
    "routing_csv_row": (
        "派单规则表第 {line} 行有误：{reason}",
        "Routing table line {line} is invalid: {reason}",
    ),
    # knowledge base
    "article_not_found": ("知识库文章不存在：{id}", "Knowledge article not found: {id}"),
    "article_not_served": (
        "知识库文章 {id} 未发布或已失效，不能用于答复",
        "Knowledge article {id} is not published or no longer valid; it cannot be used to answer",
    ),
    "article_version_conflict": (
        "文章 {id} 已被他人修改（当前版本 {current}，您编辑的是版本 {yours}），请刷新后再改",
        "Article {id} was changed by someone else (now version {current}, you edited {yours}); reload and edit again",
    ),
    "article_already_invalid": (
        "文章 {id} 的有效期已过，不能发布；请先修改有效期",
        "Article {id} is past its validity; change the dates before publishing",
    ),
    "kb_edit_denied": ("您的角色不能编辑知识库", "Your role cannot edit the knowledge base"),
    "kb_edit_other_department": (
        "只能编辑本单位的知识库文章",
        "You can edit only your own department's articles",
    ),
    "kb_file_format": (
        "不支持的文件类型：{path}（支持：{known}）",
        "Unsupported file {path} (supported: {known})",
    ),
    "kb_file_empty": ("文件 {path} 中没有可导入的内容", "Nothing to import in {path}"),
    "kb_file_too_large": ("文件 {path} 超过 {limit_mb} MB", "File {path} is larger than {limit_mb} MB"),
    "kb_faq_columns": (
        "问答表 {path} 中找不到问题列和答案列（现有列：{found}），请指定列名",
        "Cannot find the question and answer columns in {path} (it has: {found}); name them",
    ),
    "kb_faq_row": (
        "问答表 {path} 第 {line} 行缺少问题或答案",
        "FAQ list {path} line {line} lacks a question or an answer",
    ),
    # supervision, follow-up, review, notifications
    "supervision_denied": (
        "只有派单员、领导或管理员可以督办",
        "Only dispatchers, leaders or admins supervise",
    ),
    "supervision_respond_denied": (
        "只有被督办单位可以回复督办件",
        "Only the supervised department can respond",
    ),
    "case_not_found": ("督办件不存在：{id}", "Supervision case not found: {id}"),
    "case_closed": ("督办件 {id} 已办结", "Supervision case {id} is closed"),
    "survey_not_found": ("回访链接无效：{id}…", "Unknown follow-up link: {id}…"),
    "survey_answered": ("该回访已完成：{id}", "This follow-up was already answered: {id}"),
    "follow_up_not_found": ("回访任务不存在：{id}", "Follow-up task not found: {id}"),
    "follow_up_superseded": (
        "回访任务 {id} 已失效：工单已重办、归档或撤销，这条答复不再计入",
        "Follow-up task {id} no longer counts: its ticket was reopened, closed or withdrawn",
    ),
    "sms_reply_unmatched": (
        "该号码没有等待答复的回访短信",
        "No follow-up survey is waiting for an answer from this number",
    ),
    "follow_up_answer_empty": (
        "请选择满意程度，或填写市民的答复内容",
        "Choose how satisfied the citizen is, or write down what they said",
    ),
    "follow_up_not_to_confirm": (
        "回访任务 {id} 不在待确认状态",
        "Follow-up task {id} is not waiting for its reading to be confirmed",
    ),
    "follow_up_not_in_review": ("回访任务 {id} 不在待审核状态", "Follow-up task {id} is not awaiting review"),
    "reply_not_found": ("工单 {id} 还没有承办单位的答复", "Ticket {id} has no department reply yet"),
    "notification_not_found": ("消息不存在：{id}", "Notification not found: {id}"),
    # screening
    "screening_denied": (
        "只有派单员、领导或管理员可以审核甄别结果",
        "Only dispatchers, leaders or admins review screening",
    ),
    "flag_not_found": ("甄别记录不存在：{id}", "Screening flag not found: {id}"),
    "screening_model_packaged": ("内置模型", "packaged model"),
    "hand_off_service": ("请选择移交的应急服务（{known}）", "Choose the emergency service ({known})"),
    "flag_reviewed": ("甄别记录 {id} 已审核", "Screening flag {id} was already reviewed"),
    "caller_level": (
        "未知的来电人级别 {level}（可选：{known}）",
        "Unknown caller level {level} (known: {known})",
    ),
    "caller_expiry_required": (
        "列入{level}必须写明原因并设定到期时间",
        "A {level} decision needs a reason and an expiry in the future",
    ),
    "caller_no_restriction": (
        "该来电人没有被限制，无需申诉",
        "This caller is not restricted; there is nothing to appeal",
    ),
    "caller_no_appeal": ("该来电人没有待处理的申诉", "This caller has no pending appeal"),
    # integrations
    "call_times": (
        "通话 {call_id} 的时间顺序不对（接听或结束早于振铃）",
        "Call {call_id}: answered or ended before it was offered",
    ),
    "cdr_columns": ("话单文件缺少列：{missing}", "The CDR file lacks columns: {missing}"),
    "cdr_rows": (
        "话单文件有 {count} 行有误，未导入任何数据：{errors}",
        "{count} CDR lines are invalid; nothing was imported: {errors}",
    ),
    "call_not_found": ("通话记录不存在：{id}", "Call not found: {id}"),
    "callback_not_found": ("回拨任务不存在：{id}", "Call-back task not found: {id}"),
    "callback_done": ("回拨任务 {id} 已处理", "Call-back task {id} is already done"),
    "webhook_events": (
        "未知的事件：{unknown}（可选：{known}）",
        "Unknown events: {unknown} (known: {known})",
    ),
    "webhook_url": ("订阅地址必须是 http(s) 地址：{url}", "The subscriber URL must be http(s): {url}"),
    "webhook_not_found": ("订阅不存在：{id}", "Webhook subscription not found: {id}"),
    "delivery_not_found": ("推送记录不存在：{id}", "Delivery not found: {id}"),
    "mapping_invalid": ("映射文件有误：{reason}", "The mapping file is invalid: {reason}"),
    "mapping_fields": (
        "映射文件中的字段不认识：{unknown}（可用：{known}）",
        "Unknown fields in the mapping: {unknown} (known: {known})",
    ),
    "export_format": (
        "不支持的导出格式：{fmt}（csv 或 xlsx）",
        "Unsupported export format: {fmt} (csv or xlsx)",
    ),
    "llm_unavailable": (
        "大模型暂时无法回答（{reason}），请以离线建议为准",
        "The large model cannot answer now ({reason}); the offline suggestion stands",
    ),
    "no_route": (
        "派单目录中没有该分类在此区域的规则，请直接指定承办单位",
        "The routing table has no rule for this category here; name the department",
    ),
    "unknown_category": ("分类不存在：{id}", "Unknown category: {id}"),
    "unknown_area": ("区域不存在：{id}", "Unknown area: {id}"),
    "unknown_department": ("承办单位不存在：{id}", "Unknown department: {id}"),
    "suggestion_not_found": ("该工单还没有派单建议：{id}", "No dispatch suggestion for ticket {id} yet"),
    "suggestion_choice": (
        "建议中只有 {available} 个承办单位，无法选择第 {choice} 个",
        "The suggestion has {available} departments; choice {choice} is not one of them",
    ),
    "model_not_found": ("模型版本不存在：{id}", "Model version not found: {id}"),
    "model_none_active": ("当前没有启用的模型", "No model is active"),
    "model_no_previous": (
        "模型版本 {version} 之前没有启用过其他版本，无法回滚",
        "No version was active before version {version}; nothing to roll back to",
    ),
    "model_artifact_corrupt": (
        "模型版本 {version} 的文件已损坏（校验和不符）",
        "The artifact of model version {version} is corrupt (checksum mismatch)",
    ),
    "model_method": ("未知的训练方法 {method}（可选：{known}）", "Unknown method {method} (known: {known})"),
    "dataset_empty": ("训练数据文件为空：{path}", "The training file is empty: {path}"),
    "dataset_columns": (
        "训练数据 {path} 缺少列：{missing}（文件中的列：{found}）",
        "Training file {path} lacks columns: {missing} (it has: {found})",
    ),
    "dataset_format": ("训练数据只支持 CSV 或 XLSX：{path}", "Training data must be CSV or XLSX: {path}"),
    "dataset_too_small": (
        "训练数据不足：至少需要 {minimum} 条、{classes} 个类别，现有 {n} 条、{found} 个类别",
        "Not enough training data: need {minimum} examples in {classes} classes, have {n} in {found}",
    ),
    "file_unreadable": ("无法读取文件 {path}：{reason}", "Cannot read {path}: {reason}"),
    "org_file_invalid": ("组织机构文件 {path} 有误：{errors}", "Org file {path} is invalid: {errors}"),
    "taxonomy_columns_missing": ("分类文件缺少列：{columns}", "Taxonomy file lacks columns: {columns}"),
    "username_taken": ("用户名已存在：{username}", "Username already taken: {username}"),
    "role_not_assignable": ("不能创建该角色的用户：{role}", "Users cannot be given the role {role}"),
    "department_required": ("角色 {role} 必须属于某个承办单位", "Role {role} must belong to a department"),
    "bad_credentials": (
        "用户名或密码错误（连续输错多次后账号会被临时锁定，请稍后再试或联系管理员）",
        "Wrong username or password (after several wrong tries an account is locked for a while: "
        "try again later or ask an administrator)",
    ),
    "current_password_wrong": ("当前密码不正确", "The current password is wrong"),
    "password_unchanged": ("新密码不能与当前密码相同", "The new password must differ from the current one"),
    "password_too_short": ("密码至少需要 {min} 个字符", "A password needs at least {min} characters"),
    "password_has_username": ("密码不能包含用户名", "A password may not contain the username"),
    "password_common": (
        "密码过于常见或容易猜到（如 12345678、password、键盘连续字符），请换一个更长、更不规则的密码",
        "This password is common or easy to guess (12345678, password, keyboard runs): choose a longer, less regular one",
    ),
    "cannot_deactivate_self": ("不能停用自己的账号", "You cannot deactivate your own account"),
    "token_not_found": ("令牌不存在：{id}", "Token not found: {id}"),
    "bad_token": ("登录已失效，请重新登录", "Your session has expired or the token is invalid; log in again"),
    "auth_required": ("请先登录", "Authentication required"),
    "unauthenticated": (
        "身份验证失败：请提供有效的访问令牌",
        "Not authenticated: a valid bearer token is required",
    ),
    "texts_unknown_section": (
        "文本文件 {path} 含有无法识别的部分：{unknown}（可用：notifications、call_script、acknowledgements、prompts）",
        "The texts file {path} has unknown sections: {unknown} (known: notifications, call_script, "
        "acknowledgements, prompts)",
    ),
    "role_forbidden": ("角色 {role} 无权执行操作 {action}", "Role {role} may not perform {action}"),
    "forbidden": ("无权执行此操作", "You may not do this"),
    "not_your_assignment": (
        "工单 {number} 未派给您的单位",
        "Ticket {number} is not assigned to your department",
    ),
    "invalid_transition": (
        "工单当前状态为“{status}”，不能执行“{action}”",
        "Action '{action}' is not allowed while the ticket is '{status}'",
    ),
    "assignment_state": (
        "工单 {number} 没有处于可执行此操作状态的派单记录",
        "Ticket {number} has no assignment in a state that allows this",
    ),
    "concurrent_update": (
        "工单已被他人同时修改，请刷新后重试",
        "The ticket was changed by someone else at the same time; reload and try again",
    ),
    "database_unavailable": (
        "系统暂时无法访问数据库，您的请求未被处理，请稍后重试（如急需帮助请拨打 12345）",
        "The database is not answering: your request was not processed; please try again shortly",
    ),
    "nul_character": (
        "请求中含有空字符（NUL，\\u0000 或 %00），请删除后重试",
        "The request holds a NUL character (\\u0000 or %00): remove it and try again",
    ),
    "idempotency_mismatch_public": (
        "该幂等键已用于另一内容不同的诉求，请刷新页面后重新提交",
        "This Idempotency-Key was already used for a different request: reload the page and submit again",
    ),
    "idempotency_mismatch": (
        "该幂等键或外部编号已用于另一内容不同的诉求（工单 {number}）",
        "This Idempotency-Key or external id was already used for a different request (ticket {number})",
    ),
    "ticket_conflict": (
        "登记与另一条同时提交的诉求冲突，未保存，请重新提交",
        "The registration collided with another one submitted at the same moment and was not saved; submit it again",
    ),
    "co_departments_distinct": (
        "协办单位不能重复，也不能与主办单位相同",
        "Co-handling departments must be distinct and differ from the lead",
    ),
    "department_inactive": ("承办单位 {id} 已停用", "Department {id} is inactive"),
    "hand_down_lead_only": ("只有主办单位可以转办", "Only the lead department can hand a ticket down"),
    "hand_down_not_below": (
        "只能转办给本单位的下级单位（{id} 不是）",
        "A ticket can only be handed down to a unit below yours ({id} is not)",
    ),
    "redispatch_same_department": (
        "退单通过后不能再派给原单位；如应由原单位办理，请驳回退单",
        "An accepted return cannot go back to the same department; reject the return instead",
    ),
    "extension_lead_only": ("只有主办单位可以申请延期", "Only the lead department can ask for an extension"),
    "extension_too_late": (
        "已超过办理时限（{due_at}），不能再申请延期",
        "The deadline ({due_at}) has passed; an extension must be asked before it",
    ),
    "extension_pending": ("已有待审批的延期申请（{id}）", "An extension request ({id}) is already pending"),
    "extension_decided": ("该延期申请已审批（{id}）", "Extension request {id} has already been decided"),
    "reopen_department_required": ("重办须指定承办单位", "Reopening needs a department"),
    "merge_into_self": ("工单不能并入自身", "A ticket cannot be merged into itself"),
    "merge_into_merged": (
        "目标工单 {number} 本身已被合并，请并入其主工单",
        "Ticket {number} was itself merged; merge into its master instead",
    ),
    "not_merged": ("工单 {number} 未被合并", "Ticket {number} has not been merged"),
    "duplicate_not_found": ("未找到并单建议 {id}", "Duplicate suggestion {id} not found"),
    "duplicate_decided": (
        "并单建议 {id} 已处理（{status}）",
        "Duplicate suggestion {id} was already decided ({status})",
    ),
    "analytics_bad_range": (
        "统计区间有误：结束日期 {end} 须晚于开始日期 {start}",
        "Bad range: the end {end} must be after the start {start}",
    ),
    "analytics_bad_period": (
        "无法识别的统计期 {period}（示例：2026-10、2026-W43、2026、2026-10-05，跨期如 2018-11..2020-01）",
        "Unknown period {period} (e.g. 2026-10, 2026-W43, 2026, 2026-10-05, or a span such as 2018-11..2020-01)",
    ),
    "analytics_bad_basis": (
        "口径 {basis} 无效，应为 adjusted 或 raw",
        "Basis {basis} must be adjusted or raw",
    ),
    "analytics_unknown_rate": ("未知指标 {rate}（可用：{known}）", "Unknown rate {rate} (known: {known})"),
    "analytics_unknown_dimension": (
        "未知维度 {dimension}（可用：{known}）",
        "Unknown dimension {dimension} (known: {known})",
    ),
    "analytics_dimension_not_applicable": (
        "指标 {rate} 不能按 {dimension} 统计",
        "Rate {rate} cannot be broken down by {dimension}",
    ),
    "report_format": (
        "报告格式 {format} 不支持（html、pdf、xlsx）",
        "Report format {format} is not supported (html, pdf, xlsx)",
    ),
    "topic_not_found": ("未找到热点 {id}", "Hotspot {id} not found"),
    "backup_sqlite_memory": ("内存数据库无法备份", "An in-memory database cannot be backed up"),
    "backup_tool_missing": (
        "找不到 {tool}（请安装 postgresql-client）",
        "{tool} not found (install postgresql-client)",
    ),
    "backup_missing": ("备份文件不存在：{path}", "No backup file at {path}"),
    "backup_restore_failed": (
        "恢复失败，数据库未改变：{detail}",
        "Restore failed, the database is unchanged: {detail}",
    ),
    "value_out_of_range": (
        "提交的数值超出范围或格式不对（如编号过大）",
        "A value is out of range or malformed (an id too large, say)",
    ),
    "rate_limited": (
        "请求过于频繁，请 {seconds} 秒后再试；紧急情况请直接拨打12345",
        "Too many requests: try again in {seconds} s; in an emergency call 12345",
    ),
    "validation_error": ("提交的数据有误", "The submitted data is invalid"),
    "malformed_json": ("请求体不是有效的 JSON", "The request body is not valid JSON"),
    "body_too_large": ("请求体过大（上限 {limit} 字节）", "Request body too large (limit {limit} bytes)"),
    "internal_error": ("服务器内部错误，已记录", "Internal server error; it has been logged"),
}


def pick_language(accept_language: str | None, default: str = "zh") -> str:
    """Return "zh" or "en" from an Accept-Language header."""
    if not accept_language:
        return default
    for part in accept_language.split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh"
        if tag.startswith("en"):
            return "en"
    return default


def translate(key: str, lang: str = "zh", **params: Any) -> str:
    """Return the message for `key` in `lang`, with its parameters filled in."""
    zh, en = MESSAGES.get(key, (key, key))
    template = en if lang == "en" else zh
    try:
        return template.format(**params)
    except (KeyError, IndexError):
        return template
