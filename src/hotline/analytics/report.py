"""The report for leaders (周报/月报): trends, rates with numerators and denominators, rankings, top
hotspots with examples, emerging issues, bottlenecks and notable cases — as HTML (charts inline as
SVG), PDF (WeasyPrint, the same HTML) and XLSX (one sheet per table). An optional narrative is written
by the large model when one is configured, and marked as generated."""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import duckdb
from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy.orm import Session

from hotline.analytics import bottlenecks, hotspots, rates
from hotline.analytics.rates import ALL, Filter, Scope
from hotline.analytics.service import make_filter
from hotline.config import get_settings
from hotline.errors import InvalidInput
from hotline.llm import facts as facts_

log = logging.getLogger(__name__)
FORMATS = ("html", "pdf", "xlsx")
FONT = "WenQuanYi Micro Hei, Noto Sans CJK SC, Microsoft YaHei, sans-serif"


@dataclass
class Report:
    period: str
    start: date
    end: date  # exclusive
    title: str
    summary: list[dict[str, Any]]
    trend: list[dict[str, Any]]  # tickets and rates per day (month) or per week
    channels: list[dict[str, Any]]
    categories: list[dict[str, Any]]
    departments: list[dict[str, Any]]
    districts: list[dict[str, Any]]
    hotspots: list[dict[str, Any]]
    emerging: list[dict[str, Any]]
    steps: list[dict[str, Any]]
    troubled: list[dict[str, Any]]
    notable: list[dict[str, Any]]
    as_of: str | None = None
    narrative: str | None = None
    narrative_model: str | None = None
    narrative_withheld: str | None = None  # why the model's narrative is not in the report
    charts: dict[str, str] = field(default_factory=dict)


def build(
    con: duckdb.DuckDBPyConnection,
    *,
    period: str,
    scope: Scope = ALL,
    session: Session | None = None,
    narrative: bool = False,
    as_of: str | None = None,
) -> Report:
    flt = make_filter(period=period)
    days = (flt.end - flt.start).days
    step: rates.Period = "day" if days <= 31 else "week" if days <= 120 else "month"
    counts = rates.volume(con, flt, period=step, scope=scope)
    sat = {r["period"]: r["value"] for r in rates.compute(con, "satisfaction", flt, period=step, scope=scope)}
    trend = [
        {"period": r["period"], "tickets": r["denominator"], "satisfaction": sat.get(r["period"])}
        for r in counts
    ]
    by_channel = rates.volume(con, flt, by="channel", scope=scope)
    sat_by_category = {
        r["key"]: r["value"] for r in rates.compute(con, "satisfaction", flt, by="category", scope=scope)
    }
    categories = sorted(
        (
            {
                "name": r["name"] or "未分类",
                "tickets": r["denominator"],
                "satisfaction": sat_by_category.get(r["key"]),
            }
            for r in rates.volume(con, flt, by="category", scope=scope)
        ),
        key=lambda r: -r["tickets"],
    )
    top = hotspots.top(con, flt, limit=10, scope=scope)
    if session is not None and scope == ALL:  # example titles only where every ticket may be seen
        for h in top[:5]:
            try:
                h["examples"] = hotspots.members(session, topic_id=h["topic_id"], limit=3)["tickets"]
            except Exception:  # a topic mined again since the facts were taken
                h["examples"] = []
    report = Report(
        period=period,
        start=flt.start,
        end=flt.end,
        title=f"12345热线运行报告（{period}）",
        summary=rates.summary(con, flt, scope=scope),
        trend=trend,
        channels=[{"channel": r["key"], "tickets": r["denominator"]} for r in by_channel],
        categories=categories,
        departments=rates.ranking(con, flt, by="department", scope=scope)[:30],
        districts=rates.ranking(con, flt, by="district", scope=scope),
        hotspots=top,
        emerging=hotspots.emerging(con, end=flt.end, scope=scope)[:10],
        steps=bottlenecks.steps(con, flt, scope=scope),
        troubled=bottlenecks.units(con, flt, scope=scope)[:10],
        notable=_notable(con, flt, scope),
        as_of=as_of,
    )
    report.charts = _charts(report)
    if narrative and session is not None:
        _narrate(session, report)
    return report


def _notable(con: duckdb.DuckDBPyConnection, flt: Filter, scope: Scope) -> list[dict[str, Any]]:
    """Cases a leader should know of: the most supported, the most returned, the longest overdue."""
    clauses = ["day >= ?", "day < ?", "NOT merged"]
    params: list[Any] = [flt.start, flt.end]
    more, values = scope.sql()
    clauses += more
    params += values
    where = " AND ".join(clauses)
    rows = con.execute(
        f"""
        SELECT number, title, status, supports, returns, reopens, overdue, d.name AS department,
               CASE WHEN returns >= 2 THEN '多次退单' WHEN reopens > 0 THEN '重办'
                    WHEN overdue THEN '超期未办结' ELSE '群众关注' END AS why
        FROM tickets LEFT JOIN dim_departments d ON d.id = tickets.department_id
        WHERE {where} AND (returns >= 2 OR reopens > 0 OR overdue OR supports >= 10)
        ORDER BY returns DESC, reopens DESC, supports DESC, overdue DESC, created_at LIMIT 10
        """,
        params,
    )
    cols = [d[0] for d in rows.description]
    return [dict(zip(cols, r, strict=True)) for r in rows.fetchall()]


def _charts(report: Report) -> dict[str, str]:
    """The report's charts as SVG text (matplotlib, text kept as text so the page's font shows it)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update(
        {
            "svg.fonttype": "none",
            "font.family": ["sans-serif"],
            "font.sans-serif": FONT.split(", "),
            "font.size": 9,
        }
    )
    out: dict[str, str] = {}

    def svg(fig: Any) -> str:
        buf = io.StringIO()
        fig.savefig(buf, format="svg", bbox_inches="tight")
        plt.close(fig)
        text = buf.getvalue()
        return text[text.index("<svg") :]

    if report.trend:
        fig, ax = plt.subplots(figsize=(7.2, 2.6))
        xs = [r["period"][5:] if len(r["period"]) >= 10 else r["period"] for r in report.trend]
        ax.bar(xs, [r["tickets"] for r in report.trend], color="#4e79a7", label="工单量")
        ax.set_ylabel("工单量")
        ax.tick_params(axis="x", labelrotation=60, labelsize=7)
        ax2 = ax.twinx()
        sat = [r["satisfaction"] * 100 if r["satisfaction"] is not None else None for r in report.trend]
        ax2.plot(
            xs,
            [s if s is not None else float("nan") for s in sat],
            color="#e15759",
            marker="o",
            ms=3,
            label="满意率",
        )
        ax2.set_ylim(0, 105)
        ax2.set_ylabel("满意率 %")
        ax.set_title("工单量与满意率趋势")
        out["trend"] = svg(fig)
    ranked = [d for d in report.departments if d.get("score") is not None][:12]
    if ranked:
        fig, ax = plt.subplots(figsize=(7.2, 0.3 * len(ranked) + 0.8))
        ax.barh(
            [str(d["name"] or d["key"]) for d in ranked][::-1],
            [d["score"] * 100 for d in ranked][::-1],
            color="#59a14f",
        )
        ax.set_xlim(0, 100)
        ax.set_xlabel("综合得分")
        ax.set_title("承办单位综合评价排名")
        out["departments"] = svg(fig)
    if report.categories:
        cats = report.categories[:10]
        fig, ax = plt.subplots(figsize=(7.2, 2.4))
        ax.bar([str(c["name"] or "未分类") for c in cats], [c["tickets"] for c in cats], color="#f28e2b")
        ax.tick_params(axis="x", labelrotation=30, labelsize=8)
        ax.set_title("诉求类别分布")
        out["categories"] = svg(fig)
    return out


def _narrate(session: Session, report: Report) -> None:
    from hotline.llm import client

    figures = "\n".join(
        f"- {r['zh']}：{_pct(r['value'])}（{r['numerator']:g}/{r['denominator']}），上期 {_pct(r['previous'])}"
        for r in report.summary
    )
    hot = "\n".join(f"- {h['title']}（{h['tickets']}件，{h['people']}人）" for h in report.hotspots[:5])
    slow = "\n".join(
        f"- {s['step_zh']}：中位 {s['median_hours']} 小时，P90 {s['p90_hours']} 小时"
        for s in report.steps[:3]
    )
    prompt = (
        f"请根据以下12345热线{report.period}的统计数据，写一段不超过300字的分析，供领导阅读。"
        "只使用给出的数字，不要编造；指出变化最大的指标、主要热点和堵点，并提出两条建议。\n"
        f"指标：\n{figures}\n热点：\n{hot}\n堵点：\n{slow}"
    )
    try:
        done = client.chat(
            session, messages=[{"role": "user", "content": prompt}], purpose="report_narrative"
        )
    except client.LlmUnavailable as exc:
        log.info("report narrative not written: %s", exc.reason)
        return
    text = done.text.strip()
    # every figure the narrative names must be one it was given ("只使用给出的数字")
    made_up = facts_.unsupported(facts_.facts(text), facts_.facts(prompt))
    if made_up:
        reason = f"大模型撰写的分析含有报表中没有的数字“{'、'.join(dict.fromkeys(f.text for f in made_up))}”，未采用"
        client.judged(session, done, passed=False, reason=reason)
        log.info("report narrative withheld: %s", reason)
        report.narrative_withheld = reason
        return
    client.judged(session, done, passed=True)
    report.narrative, report.narrative_model = text, done.model


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{v * 100:.1f}%"


def _env() -> Environment:
    env = Environment(
        loader=PackageLoader("hotline.analytics", "templates"), autoescape=select_autoescape(["html"])
    )
    env.filters["pct"] = _pct
    env.filters["signed_pp"] = lambda v: "—" if v is None else f"{v * 100:+.1f}"
    return env


def to_html(report: Report) -> str:
    s = get_settings()
    return (
        _env()
        .get_template("report.html")
        .render(
            r=report,
            font=FONT,
            weights=s.ranking_weights,
            min_den=s.ranking_min_denominator,
            min_hot=s.hotspot_min_tickets,
            rate_names={k: r.zh for k, r in rates.definitions().items()},
        )
    )


def to_pdf(report: Report) -> bytes:
    from weasyprint import HTML

    pdf: bytes = HTML(string=to_html(report)).write_pdf()
    return pdf


def to_xlsx(report: Report) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from hotline.spreadsheets import xlsx_row

    wb = Workbook()
    sheets: list[tuple[str, list[str], list[list[Any]]]] = [
        (
            "指标",
            ["指标", "rate", "分子", "分母", "比率", "上期", "变化(百分点)"],
            [
                [
                    r["zh"],
                    r["rate"],
                    r["numerator"],
                    r["denominator"],
                    r["value"],
                    r["previous"],
                    None if r["change"] is None else round(r["change"] * 100, 2),
                ]
                for r in report.summary
            ],
        ),
        (
            "趋势",
            ["时段", "工单量", "满意率"],
            [[r["period"], r["tickets"], r["satisfaction"]] for r in report.trend],
        ),
        (
            "单位排名",
            ["名次", "承办单位", "综合得分", "满意率", "解决率", "按时办结率", "响应率"],
            [
                [d["rank"], d["name"], d["score"]]
                + [
                    d["rates"].get(k, {}).get("value")
                    for k in ("satisfaction", "resolution", "on_time", "response")
                ]
                for d in report.departments
            ],
        ),
        (
            "区县排名",
            ["名次", "区县", "综合得分"],
            [[d["rank"], d["name"], d["score"]] for d in report.districts],
        ),
        (
            "热点",
            ["热度", "标题", "地点", "关键词", "工单", "人数", "点赞", "首次", "最近"],
            [
                [
                    h["heat"],
                    h["title"],
                    h["place"],
                    " ".join(h["keywords"]),
                    h["tickets"],
                    h["people"],
                    h["supports"],
                    h["first_at"],
                    h["last_at"],
                ]
                for h in report.hotspots
            ],
        ),
        (
            "堵点",
            ["环节", "经过", "中位(小时)", "P90(小时)", "滞留", "最久滞留(小时)"],
            [
                [
                    s["step_zh"],
                    s["passes"],
                    s["median_hours"],
                    s["p90_hours"],
                    s["still_open"],
                    s["oldest_open_hours"],
                ]
                for s in report.steps
            ],
        ),
        (
            "问题单位",
            ["单位", "工单", "退单", "超期", "逾期办结", "重办", "问题占比"],
            [
                [
                    u["name"],
                    u["tickets"],
                    u["returned"],
                    u["overdue"],
                    u["late"],
                    u["reopened"],
                    u["troubled_share"],
                ]
                for u in report.troubled
            ],
        ),
        (
            "典型案例",
            ["工单号", "标题", "状态", "承办单位", "原因"],
            [[n["number"], n["title"], n["status"], n["department"], n["why"]] for n in report.notable],
        ),
    ]
    first = True
    for name, header, rows in sheets:
        ws = wb.active if first else wb.create_sheet()
        first = False
        assert ws is not None
        ws.title = name
        ws.append(header)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in rows:
            ws.append(xlsx_row(ws, row))  # titles and examples are citizens' text
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def render(report: Report, fmt: str) -> tuple[bytes, str]:
    """The report in a format, with its media type."""
    if fmt == "html":
        return to_html(report).encode("utf-8"), "text/html; charset=utf-8"
    if fmt == "pdf":
        return to_pdf(report), "application/pdf"
    if fmt == "xlsx":
        return to_xlsx(report), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    raise InvalidInput("report_format", format=fmt)


def default_period(today: date | None = None) -> str:
    """Last month."""
    from zoneinfo import ZoneInfo

    from hotline.db import utcnow

    today = today or utcnow().astimezone(ZoneInfo(get_settings().timezone)).date()
    last = today.replace(day=1) - timedelta(days=1)
    return last.strftime("%Y-%m")
