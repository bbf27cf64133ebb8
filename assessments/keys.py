"""The assessments package's app keys, shared by its routes and pages."""

from __future__ import annotations

from aiohttp import web

from assessments.retention import AssessmentRetention
from assessments.service import AssessmentService
from assessments.templates import Catalog

assessment_service_key = web.AppKey("assessment_service", AssessmentService)
assessment_catalog_key = web.AppKey("assessment_catalog", Catalog)
assessment_retention_key = web.AppKey("assessment_retention", AssessmentRetention)
