from enum import StrEnum


class ArticleKind(StrEnum):
    policy = "policy"  # 政策
    procedure = "procedure"  # 办事指南
    faq = "faq"  # 常见问答
    notice = "notice"  # 通知公告


class ArticleStatus(StrEnum):
    draft = "draft"  # 草稿
    published = "published"  # 已发布 (served while valid)
    expired = "expired"  # 已失效 (never served)


class PassageRole(StrEnum):
    body = "body"  # 正文: may answer a question
    note = "note"  # 说明: a quoted disclaimer or remark, kept with the article, never an answer
