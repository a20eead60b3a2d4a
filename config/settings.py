"""Service settings, read from the environment (prefix ``JIESU_``) and an optional ``.env`` file.

Secrets are checked by :func:`secret_problems` rather than by validators, so that the command
line can decide between refusing to start (production) and starting a local trial with a
development token (``jiesu serve --demo``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_WECHAT_API_BASE = "https://api.weixin.qq.com"
DEFAULT_WORK_API_BASE = "https://qyapi.weixin.qq.com"
DEFAULT_DATABASE_URL = "sqlite://./var/jiesu.sqlite3"

# Values people paste from tutorials or leave in a template; never accepted as real secrets.
PLACEHOLDER_SECRETS = frozenset(
    {
        "",
        "changeme",
        "change-me",
        "token",
        "secret",
        "your-token",
        "your_token",
        "yourtoken",
        "your-secret",
        "your_secret",
        "appid",
        "your-appid",
        "wx0000000000000000",
        "xxx",
        "xxxx",
        "todo",
        "test",
    }
)


class Settings(BaseSettings):
    """Everything a deployment can set. Each field is ``JIESU_<NAME>`` in the environment."""

    model_config = SettingsConfigDict(
        env_prefix="JIESU_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        description="Tortoise URL: sqlite://PATH or postgres://user:pass@host:port/db",
    )
    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str = Field(
        default="", description="URL residents' links point at (case pages); empty = host:port"
    )

    # Official account (公众号)
    mp_token: str = ""
    mp_appid: str = ""
    mp_secret: str = ""
    mp_aes_key: str = Field(default="", description="EncodingAESKey; empty = plaintext mode only")
    mp_timestamp_tolerance: int = Field(
        default=300,
        ge=0,
        description="Seconds a request's timestamp may differ from now; 0 turns the check off",
    )
    wechat_api_base: str = DEFAULT_WECHAT_API_BASE
    mp_template_case_update: str = Field(
        default="",
        description="template id for case updates to residents outside the 48 h window (fields "
        "first, keyword1 = case number, keyword2 = status, keyword3 = time, remark); empty = none",
    )
    mp_subscribe_case_update: str = Field(
        default="",
        description="subscription template id for case updates (fields character_string1 = case "
        "number, phrase2 = status, time3 = time, thing4 = what happened); empty = none",
    )
    mp_template_worker_task: str = Field(
        default="",
        description="template id for workers without WeCom (fields first, keyword1 = case "
        "number, keyword2 = the task, remark); empty = such workers are not notified",
    )

    # WeCom (企业微信): task cards for workers; all of corp id, agent id and secret turn it on
    work_corp_id: str = ""
    work_agent_id: str = Field(default="", description="the self-built app's AgentId (digits)")
    work_secret: str = Field(default="", description="the app's Secret")
    work_token: str = Field(default="", description="callback Token (接收消息 > API接收)")
    work_aes_key: str = Field(default="", description="callback EncodingAESKey (43 characters)")
    work_api_base: str = DEFAULT_WORK_API_BASE

    # Mini-program (小程序): the resident API (/api/resident), its customer-service messages
    # (/wechat/mini) and its subscription messages. The appid and secret turn it on.
    mini_appid: str = ""
    mini_secret: str = ""
    mini_token: str = Field(default="", description="message push Token (消息推送)")
    mini_aes_key: str = Field(
        default="", description="message push EncodingAESKey; empty = plaintext mode only"
    )
    mini_api_base: str = Field(
        default="",
        description="API base URL for the mini-program's calls; empty = JIESU_WECHAT_API_BASE",
    )
    mini_subscribe_case_update: str = Field(
        default="",
        description="the mini-program's subscription template id for case updates (fields as "
        "JIESU_MP_SUBSCRIBE_CASE_UPDATE); empty = none",
    )
    resident_session_days: int = Field(
        default=30, gt=0, description="a resident's API session lasts this long after last use"
    )
    content_check: bool = Field(
        default=False,
        description="check residents' mini-program text with WeChat's msgSecCheck v2; text it "
        "judges risky is held for a dispatcher instead of being routed",
    )

    # Signed WeChat callbacks (/wechat/mp, /wechat/mini): with an EncodingAESKey set, only
    # encrypted bodies are accepted unless the switch between modes is allowed explicitly
    mp_compatible_mode: bool = Field(
        default=False,
        description="with JIESU_MP_AES_KEY set, also accept plaintext deliveries (plain "
        "signature, recent timestamp, each URL used once), while the account's 服务器配置 is "
        "switched between plaintext and compatible or safe mode; false = encrypted only",
    )
    mini_compatible_mode: bool = Field(
        default=False,
        description="the same for the mini-program's message push and JIESU_MINI_AES_KEY",
    )

    # Photos residents and workers upload
    upload_dir: Path = Field(
        default=Path("./var/uploads"), description="where uploaded photos are stored"
    )
    upload_max_bytes: int = Field(default=5 * 1024 * 1024, gt=0, description="per photo")
    # Retention (handlers/residents/retention.py): personal fields and photos of closed cases
    retention_days: int = Field(
        default=0,
        ge=0,
        le=36_500,
        description="Days after a case closed that its personal data and photos are kept "
        "(0: kept for good, no retention sweep)",
    )
    retention_sweep_seconds: float = Field(
        default=3600.0, gt=0, description="How often the retention sweep runs in each process"
    )
    upload_types: tuple[str, ...] = Field(
        default=("image/jpeg", "image/png", "image/webp"),
        description="content types accepted (checked against the file's first bytes)",
    )

    # Hostile uploads: every photo is decoded and encoded again (metadata and anything riding
    # on the image dropped); the pixel count is checked before decoding
    upload_max_pixels: int = Field(
        default=40_000_000,
        gt=0,
        le=178_956_970,  # Pillow refuses more than twice its MAX_IMAGE_PIXELS by itself
        description="largest photo decoded, in pixels (width x height; 40 million is about "
        "7700 x 5200); a larger one is refused with 413 before it is decoded",
    )

    # Per-resident limits (mini-program, official account and Open311 alike)
    resident_cases_per_hour: int = Field(default=5, gt=0)
    resident_cases_per_day: int = Field(default=20, gt=0)
    resident_requests_per_minute: int = Field(
        default=60, gt=0, description="resident API calls per minute, per resident and process"
    )

    # Case size (a case must not grow without limit): one message's words, and what residents
    # may add to one case. Whatever is kept out stays whole in inbound_messages.
    message_max_chars: int = Field(
        default=2000,
        ge=200,
        le=2500,
        description="words of one chat message, mini-program report or addition (WeChat's own "
        "text limit is 2048; msgSecCheck reads 2500): the chat keeps the first part on the case "
        "with a visible mark and tells the resident, the resident API refuses longer text",
    )
    case_added_max_chars: int = Field(
        default=10_000,
        ge=0,
        description="characters residents may add to one case after reporting it (each "
        "addition with its time stamp); past it words are kept out of the case, the resident "
        "is told and the case's timeline notes it",
    )
    case_attachments_max: int = Field(
        default=30,
        ge=1,
        description="photos, voices, videos and locations one case may hold; past it they are "
        "kept out of the case, the resident is told and the timeline notes it",
    )

    # Open311 GeoReport v2 (/open311/v2)
    open311_jurisdiction: str = Field(
        default="", description="jurisdiction_id this endpoint serves; empty = any is accepted"
    )

    # Staff sign-in (dashboard and admin API): hashing off the event loop, limits, the cookie
    sign_in_hash_concurrency: int = Field(
        default=2, gt=0, description="password hashes (argon2) at once per process, in threads"
    )
    sign_in_queue: int = Field(
        default=16,
        ge=0,
        description="sign-ins that may wait for a hash per process; more at once get 503",
    )
    sign_in_failures_per_address: int = Field(
        default=20,
        gt=0,
        description="failed sign-ins one client address may make per window, whatever the "
        "account; then 429 until the window ends",
    )
    sign_in_window_minutes: int = Field(
        default=15, gt=0, description="the window of sign_in_failures_per_address"
    )
    trusted_proxies: str = Field(
        default="",
        description="comma-separated addresses or networks (10.0.0.0/8) of reverse proxies whose "
        "X-Forwarded-For is believed; empty = the client is the peer address",
    )
    staff_max_sessions: int = Field(
        default=10,
        gt=0,
        description="live dashboard sessions per staff account; a new sign-in ends the oldest",
    )
    insecure_http: bool = Field(
        default=False,
        description="send the session cookie without Secure, for plain-HTTP development only "
        "(jiesu serve --demo turns it on unless told otherwise)",
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _proxy_networks(cls, value: str) -> str:
        import ipaddress

        networks = [part.strip() for part in value.split(",") if part.strip()]
        try:
            return ",".join(str(ipaddress.ip_network(n, strict=False)) for n in networks)
        except ValueError as problem:
            raise ValueError(f"JIESU_TRUSTED_PROXIES: {problem}") from None

    # Request handling
    max_body_bytes: int = Field(default=64 * 1024, gt=0)
    reply_budget_seconds: float = Field(
        default=3.5,
        gt=0,
        description="Time the passive reply may take; slower work is answered later via the outbox",
    )
    # Bursts (bot/burst.py, README "Many processes, and bursts of messages"): beyond the full-work
    # slots or the admission estimate, a message is acknowledged with its reserved case number and
    # worked on from the inbound table by the queue; false: full work in every request.
    intake_admission: bool = True
    intake_full_slots: int = Field(default=8, ge=0)
    intake_admission_seconds: float = Field(default=1.0, gt=0)
    intake_queue_workers: int = Field(default=4, ge=1, le=256)
    intake_queue_size: int = Field(default=20_000, ge=0)
    # Routing, SLA and gazetteer tables are re-read this often (an edit reloads its own process's).
    reference_cache_seconds: float = Field(default=60.0, gt=0)
    conversation_minutes: int = Field(
        default=30,
        gt=0,
        description="A resident's dialogue lasts this long after their last message",
    )

    # Life-safety advice (handlers.intake.safety): the district's own utility lines, told to a
    # resident whose message reports a gas leak, live electricity or water flooding a home.
    gas_emergency_line: str = Field(
        default="962777", max_length=32, description="gas emergency line told with gas advice"
    )
    power_emergency_line: str = Field(
        default="95598", max_length=32, description="power repair line told with electric advice"
    )
    water_emergency_line: str = Field(
        default="962626", max_length=32, description="water repair line told with flooding advice"
    )

    # Outbox
    outbox_poll_seconds: float = Field(default=1.0, gt=0)
    outbox_batch_size: int = Field(default=100, gt=0)
    outbox_max_attempts: int = Field(default=8, gt=0)
    outbound_mode: Literal["wechat", "sandbox"] = Field(
        default="wechat",
        description="sandbox keeps outgoing messages in the database instead of calling WeChat",
    )
    outbound_rate_per_second: float = Field(
        default=50.0,
        gt=0,
        description="sends per second per account (official account, WeCom app) per process",
    )

    # Outbox, sends whose outcome is unknown (area: sending at most once when WeChat answers
    # late; bot/wechat/outbox_drainer.py, handlers/outbox_unclear.py)
    http_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        description="How long one call to the WeChat or WeCom API may take. WeChat usually "
        "answers within a second; a message that gets no answer in time may still have "
        "arrived, so it is recorded as unknown and not repeated blindly: keep this at 10-15 s",
    )
    outbox_resend_wait_seconds: float = Field(
        default=1800.0,
        gt=0,
        description="A survey (or a worker's task template) whose send may or may not have "
        "arrived is sent once more after this long, unless it was answered (or the case "
        "signed) meanwhile; surveys never at night",
    )

    # Background work in this process (sweeps, outbox drain)
    run_background: bool = True
    inbound_recovery_seconds: float = Field(
        default=30.0, gt=0, description="An inbound message not answered after this is re-run"
    )

    # Escalation: the deadline sweep (warnings, 督办, second misses; ladder in config/escalation.py)
    escalation_sweep_seconds: float = Field(
        default=60.0, gt=0, description="How often the deadline sweep runs in each process"
    )

    # Follow-up (回访): satisfaction surveys after 办结 (texts in config/surveys.py)
    survey_delay_hours: float | None = Field(
        default=None,
        ge=0,
        description="Ask this many hours after 办结; empty = next morning at survey_morning_hour",
    )
    repeat_window_days: int = Field(
        default=30,
        ge=0,
        le=365,
        description="重复诉求: a report about a case closed (办结) this many days ago or less "
        "is linked to it as a repeat; 0 = off",
    )
    review_results: str = Field(
        default="difficult,reopened",
        description="办结审核: which finished cases a dispatcher reviews before the survey: "
        "'all', 'off', or a comma list of 'difficult' (难) and 'reopened' (重办 at least once)",
    )
    survey_morning_hour: int = Field(
        default=9, ge=0, le=23, description="Local hour surveys start, and quiet hours end"
    )
    survey_evening_hour: int = Field(
        default=21, ge=1, le=24, description="Local hour from which no survey or reminder goes out"
    )
    survey_reminder_hours: float = Field(
        default=24.0, gt=0, description="One reminder this long after the survey, if unanswered"
    )
    survey_close_hours: float = Field(
        default=72.0, gt=0, description="An unanswered round closes as 未评价 this long after"
    )
    survey_late_answer_days: int = Field(
        default=30, ge=0, description="An answer this long after its round closed is still kept"
    )
    field_visit_working_days: int = Field(
        default=5,
        ge=1,
        le=60,
        description="整改时限: working days a field visit after 不满意 has to report",
    )
    followup_sweep_seconds: float = Field(
        default=30.0, gt=0, description="How often the survey sweep runs in each process"
    )
    digest_hour: float = Field(
        default=8.0, ge=0, lt=24, description="Local hour (8.5 = 08:30) of the units' daily digest"
    )
    digest_sweep_seconds: float = Field(
        default=300.0, gt=0, description="How often each process checks whether the digest is due"
    )
    knowledge_reminder_days: int = Field(
        default=14,
        ge=1,
        le=365,
        description="Days before a knowledge entry's last valid day that its unit is reminded",
    )
    suggestions: bool = Field(
        default=True, description="Messages read as 建议 go to the suggestion office, not cases"
    )
    serve_sweeps: bool = Field(
        default=True,
        description="jiesu serve runs the sweeps too; false leaves them to `jiesu worker`",
    )

    # Broadcast notices (群发通知): fan-out, pacing, WeChat quotas (texts: config/broadcasts.py)
    broadcast_sweep_seconds: float = Field(
        default=15.0,
        gt=0,
        description="How often each process starts due notices, fans them out and completes them",
    )
    broadcast_batch_size: int = Field(
        default=1000,
        gt=0,
        le=10_000,
        description="Delivery rows written per fan-out transaction (per-recipient channels)",
    )
    mass_send_batch_size: int = Field(
        default=10_000,
        ge=2,
        le=10_000,
        description="openids per WeChat mass send to a list (message/mass/send takes 2 to 10000)",
    )
    mass_send_monthly_quota: int = Field(
        default=4, ge=1, description="Mass sends a resident may get a month (service accounts: 4)"
    )
    broadcast_report_wait_seconds: float = Field(
        default=300.0,
        gt=0,
        description="A template message cut off mid-send is resent once if WeChat's "
        "TEMPLATESENDJOBFINISH has not reported it within this long",
    )
    broadcast_queue_ahead_seconds: float = Field(
        default=120.0, gt=0, description="Fan-out queues rows at most this far ahead of their turn"
    )

    calendar_overrides: dict[str, bool] = Field(
        default_factory=dict,
        description="Working-calendar days the library does not know yet, as JSON: "
        '{"2027-10-09": true, "2027-10-04": false} (true = a working day)',
    )

    # Area: response headers, slow clients, working-day calendar (bot/ops/slow_clients.py,
    # bot/ops/headers.py, handlers/workflow/calendar.py and calendar_file.py)
    header_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        description="a connection must deliver a whole request head (request line and headers) "
        "within this long of opening, or of the first byte of its next request; else it is closed",
    )
    body_timeout_seconds: float = Field(
        default=30.0,
        gt=0,
        description="a request's whole body must arrive within this long of its head; else 408 "
        "and the connection is closed (a 5 MB photo in 30 s needs about 1.4 Mbit/s)",
    )
    keepalive_timeout_seconds: float = Field(
        default=75.0,
        gt=0,
        description="an idle kept-alive connection is closed after this long; keep it above the "
        "reverse proxy's idle timeout for its upstream connections",
    )
    calendar_file: Path | None = Field(
        default=None,
        description="the district's working-calendar file (CSV, one line per holiday or make-up "
        "working day, from the State Council's yearly notice; config/holidays.example.csv); "
        "empty = chinese-calendar only",
    )
    calendar_horizon_days: int = Field(
        default=60,
        ge=1,
        description="warn (/healthz, the dashboard, the log) while the working calendar does "
        "not reach this many days ahead",
    )

    @field_validator("calendar_file", mode="before")
    @classmethod
    def _no_calendar_file(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    # Optional LLM extraction: refines a new case after the reply, never delays it
    llm_url: str = Field(
        default="",
        description="Base URL of an OpenAI-compatible API (…/v1); empty turns LLM extraction off",
    )
    llm_model: str = ""
    llm_key: SecretStr = Field(default=SecretStr(""), description="Bearer key; empty = none")
    llm_timeout_seconds: float = Field(default=8.0, gt=0)
    llm_max_concurrency: int = Field(
        default=4, gt=0, description="LLM requests at once per process; the rest wait their turn"
    )
    llm_rerank_timeout_seconds: float = Field(
        default=2.0,
        gt=0,
        description="The LLM's second opinion on a question, then the rule decides",
    )

    # Understanding
    nlu_model: Path | None = Field(
        default=None,
        description="trained category model from `jiesu nlu train`; empty = built-in keyword model",
    )

    # Deployment data
    demo: bool = Field(default=False, description="Load the demo district and allow dev secrets")
    timezone: str = "Asia/Shanghai"
    var_dir: Path = Path("./var")
    log_level: str = "INFO"
    log_format: Literal["text", "json"] = Field(
        default="text",
        description="text lines, or json: one JSON object per line (time, level, logger, "
        "message, case)",
    )

    @field_validator("review_results")
    @classmethod
    def _review_rule(cls, value: str) -> str:
        words = {w.strip() for w in value.lower().split(",") if w.strip()}
        if not words or words <= {"off"} or words <= {"all"}:
            return ",".join(sorted(words)) or "off"
        unknown = words - {"difficult", "reopened"}
        if unknown:
            raise ValueError(
                f"unknown review rule {', '.join(sorted(unknown))}: use all, off, "
                "or a comma list of difficult and reopened"
            )
        return ",".join(sorted(words))

    @field_validator("nlu_model", "survey_delay_hours", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def aes_enabled(self) -> bool:
        return bool(self.mp_aes_key)

    @property
    def wecom_enabled(self) -> bool:
        """Task cards go over WeCom: the app's corp id, agent id and secret are all set."""
        return bool(
            self.work_corp_id.strip() and self.work_agent_id.strip() and self.work_secret.strip()
        )

    @property
    def mini_enabled(self) -> bool:
        """The mini-program's resident API can sign residents in: appid and secret are set."""
        return bool(self.mini_appid.strip() and self.mini_secret.strip())

    @property
    def mini_base(self) -> str:
        return (self.mini_api_base.strip() or self.wechat_api_base).rstrip("/")

    @property
    def llm_enabled(self) -> bool:
        return bool(self.llm_url.strip())

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def is_placeholder(value: str) -> bool:
    lowered = value.strip().lower()
    return lowered in PLACEHOLDER_SECRETS or lowered.startswith(("your", "<", "${"))


def secret_problems(settings: Settings) -> list[str]:
    """Say, per variable, what is wrong with the secrets a real official account needs."""
    problems: list[str] = []
    if is_placeholder(settings.mp_token):
        problems.append(
            "JIESU_MP_TOKEN is missing or a placeholder: set it to the Token you entered in the "
            "official account's 开发 > 基本配置 > 服务器配置 (3-32 letters or digits)."
        )
    elif not (3 <= len(settings.mp_token) <= 32 and settings.mp_token.isalnum()):
        problems.append("JIESU_MP_TOKEN must be 3-32 letters or digits, as WeChat requires.")
    if is_placeholder(settings.mp_appid):
        problems.append("JIESU_MP_APPID is missing or a placeholder: set it to the AppID (wx...).")
    if is_placeholder(settings.mp_secret):
        problems.append(
            "JIESU_MP_SECRET is missing or a placeholder: set it to the AppSecret of the account."
        )
    if settings.mp_aes_key and len(settings.mp_aes_key) != 43:
        problems.append(
            "JIESU_MP_AES_KEY must be the 43-character EncodingAESKey, or empty for plaintext mode."
        )
    problems.extend(wecom_problems(settings))
    return problems


def wecom_problems(settings: Settings) -> list[str]:
    """WeCom is optional, but half a configuration would drop task cards or callbacks silently."""
    problems: list[str] = []
    app = {
        "JIESU_WORK_CORP_ID": settings.work_corp_id,
        "JIESU_WORK_AGENT_ID": settings.work_agent_id,
        "JIESU_WORK_SECRET": settings.work_secret,
    }
    given = [name for name, value in app.items() if value.strip()]
    if given and len(given) < len(app):
        missing = ", ".join(name for name in app if name not in given)
        problems.append(
            f"WeCom is half configured: set {missing} too (企业ID, and the self-built app's "
            "AgentId and Secret), or clear all three to send workers template messages instead."
        )
    if settings.work_agent_id.strip() and not settings.work_agent_id.strip().isdigit():
        problems.append("JIESU_WORK_AGENT_ID must be the app's AgentId, a number.")
    if (settings.work_token or settings.work_aes_key) and not (
        settings.work_token and settings.work_aes_key and settings.work_corp_id
    ):
        problems.append(
            "The WeCom callback needs JIESU_WORK_TOKEN, JIESU_WORK_AES_KEY and JIESU_WORK_CORP_ID "
            "together (the app's 接收消息 > API接收 settings)."
        )
    if settings.work_aes_key and len(settings.work_aes_key) != 43:
        problems.append("JIESU_WORK_AES_KEY must be the 43-character EncodingAESKey.")
    return problems
