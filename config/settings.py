"""Frontoffice settings, configured only through environment variables (see .env.example).

With nothing set, the app runs in DEBUG on the embedded SQLite database. ``DATABASE_URL``
switches to PostgreSQL. Outside DEBUG, a missing SECRET_KEY or ALLOWED_HOSTS stops start-up.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.env import env_bool, env_int, env_list, env_secret, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("FRONTOFFICE_VAR_DIR", str(BASE_DIR / "var")))

# Development default: with no variables set the app runs locally. Production sets DEBUG=false,
# and then SECRET_KEY and ALLOWED_HOSTS are required.
DEBUG = env_bool("DEBUG", True)

SECRET_KEY = env_secret("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off (see .env.example).")
    SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is off (see .env.example).")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_tasks",
    "django_tasks_db",
    "frontoffice.core",
    "frontoffice.org",
    "frontoffice.parties",
    "frontoffice.finance",
    "frontoffice.billing",
    "frontoffice.receivables",
    "frontoffice.pricing",
    "frontoffice.sales",
    "frontoffice.leads",
    "frontoffice.activities",
    "frontoffice.quotes",
    "frontoffice.rfps",
    "frontoffice.appointments",
    "frontoffice.reception",
    "frontoffice.training",
    "frontoffice.insights",
    "frontoffice.surveys",
    "frontoffice.api",
    "frontoffice.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "frontoffice.core.context_processors.navigation",
            ],
            "builtins": ["template_partials.templatetags.partials"],
        },
    },
]

# Database: SQLite is the embedded default; DATABASE_URL selects PostgreSQL in production.
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))}
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("SQLITE_PATH", str(VAR_DIR / "frontoffice.sqlite3")),
            # IMMEDIATE transactions take the write lock at BEGIN, so concurrent writers queue
            # on busy_timeout instead of failing with "database is locked" on upgrade.
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA busy_timeout=5000; PRAGMA synchronous=NORMAL;",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
IS_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")

AUTH_USER_MODEL = "org.User"
AUTHENTICATION_BACKENDS = [
    "frontoffice.org.backends.RoleBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Failed logins per username and per client address before a temporary lock-out.
LOGIN_THROTTLE_LIMIT = env_int("LOGIN_THROTTLE_LIMIT", 5)
LOGIN_THROTTLE_WINDOW_SECONDS = env_int("LOGIN_THROTTLE_WINDOW_SECONDS", 900)

CACHE_URL = env_str("CACHE_URL")
if CACHE_URL.startswith("redis://"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}}
elif CACHE_URL in ("", "locmem://"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    raise ImproperlyConfigured(f"CACHE_URL must be redis://... or locmem://, got {CACHE_URL!r}")

# Internationalisation: English and Swedish, formatted for the active locale.
LANGUAGE_CODE = env_str("LANGUAGE_CODE", "en")
LANGUAGES = [("en", _("English")), ("sv", _("Swedish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Europe/Stockholm")
USE_I18N = True
USE_TZ = True
LANGUAGE_COOKIE_NAME = "frontoffice_language"
LANGUAGE_COOKIE_SECURE = not DEBUG
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# E-mail goes out through the task queue (frontoffice.core.tasks.send_email).
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_secret("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Frontoffice <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Background tasks: in-process on the embedded default, a database queue served by
# `frontoffice db_worker` processes on PostgreSQL (rows are claimed with SKIP LOCKED, so
# several workers on several machines never run one task twice).
TASKS_BACKEND = env_str("TASKS_BACKEND", "database" if IS_POSTGRES else "immediate")
if TASKS_BACKEND not in ("immediate", "database"):
    raise ImproperlyConfigured(f"TASKS_BACKEND must be 'immediate' or 'database', got {TASKS_BACKEND!r}")
TASKS = {
    "default": {
        "BACKEND": (
            "django_tasks.backends.immediate.ImmediateBackend"
            if TASKS_BACKEND == "immediate"
            else "django_tasks_db.DatabaseBackend"
        )
    }
}

# Security: secure by default outside DEBUG; `frontoffice check --deploy` passes.
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 60 * 60 * 12)
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# Preloading commits the domain and every subdomain to HTTPS in browsers for months and is
# the operator's decision, so it stays opt-in and its deploy-check reminder is silenced.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
X_FRAME_OPTIONS = "DENY"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "frontoffice.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "frontoffice.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "frontoffice.api.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Frontoffice API",
    "DESCRIPTION": "Versioned REST API of Frontoffice. Authenticate with `Authorization: Token <token>`.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "frontoffice.api.schema.add_standard_errors",
    ],
    "ENUM_NAME_OVERRIDES": {
        "LocationKindEnum": "frontoffice.org.models.Location.Kind",
        "PartyKindEnum": "frontoffice.parties.models.Party.Kind",
        "InteractionKindEnum": "frontoffice.parties.models.Interaction.Kind",
        "LanguageEnum": "frontoffice.api.schema.language_choices",
        "PaymentSourceEnum": "frontoffice.receivables.models.Payment.Source",
        "PartySourceEnum": "frontoffice.parties.models.Party.Source",
        "ProductKindEnum": "frontoffice.billing.models.Product.Kind",
        "VatCategoryEnum": "frontoffice.billing.models.VatCategory",
        "InvoiceQuestionCategoryEnum": "frontoffice.billing.models.InvoiceQuestion.Category",
        "InvoiceQuestionChannelEnum": "frontoffice.billing.models.InvoiceQuestion.Channel",
        "InvoiceQuestionStatusEnum": "frontoffice.billing.models.InvoiceQuestion.Status",
        "InteractionChannelEnum": "frontoffice.parties.models.Interaction.Channel",
        "InteractionDirectionEnum": "frontoffice.parties.models.Interaction.Direction",
        "ActivityKindEnum": "frontoffice.activities.models.Activity.Kind",
        "ActivityDirectionEnum": "frontoffice.activities.models.Activity.Direction",
        "VisitKindEnum": "frontoffice.reception.models.Visit.Kind",
        # Complaint statuses (surveys.Complaint, every desk's complaints).
        "ComplaintStatusEnum": "frontoffice.surveys.models.Complaint.Status",
        "ComplaintUpdateStatusEnum": [("open", "open"), ("in_progress", "in_progress")],
        "SurveysComplaintChannelEnum": "frontoffice.surveys.models.Complaint.Channel",
        "SurveyOptOutViaEnum": "frontoffice.surveys.models.SurveyOptOut.Via",
        "VisitViaEnum": "frontoffice.reception.models.Visit.Via",
        # RFP answers are written in Swedish or English (plain codes, not the party language labels).
        "RfpLanguageEnum": [("sv", "sv"), ("en", "en")],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

# The public address of the app, used in e-mailed links (invitations, password reset).
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")
FRONTOFFICE_PAGE_SIZE = env_int("FRONTOFFICE_PAGE_SIZE", 25)
