"""The web console (坐席工作台, 派单, 承办单位, 领导驾驶舱, 管理) and the citizen portal: server-rendered
pages (Jinja2 + htmx) over the same services as the API, with sessions and CSRF protection."""
