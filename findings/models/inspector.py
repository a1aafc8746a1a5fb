"""Inspector's own facts: a vulnerability beside its finding, and what Inspector scans."""

from __future__ import annotations

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models.functions import Upper
from django.utils import timezone

from accounts.models import AwsAccount
from findings.choices import FixAvailable
from findings.models.finding import Finding

__all__ = ["FindingVulnerability", "InspectorCoverage"]


class FindingVulnerability(models.Model):
    """What Inspector says of a vulnerability finding beyond the fields every source shares.

    One-to-one beside Finding (primary key = the finding's), so Finding keeps only shared fields
    while the filters (CVE, package, exploit, fix) stay a join on indexed columns. Written only by
    findings.services.upsert, when the finding itself is written (its content changed). The
    Inspector score is the finding's `severity_score`; the type its `type`; first and last
    observed its `first_seen` and `last_seen`.
    """

    finding = models.OneToOneField(
        Finding, on_delete=models.CASCADE, primary_key=True, related_name="vulnerability"
    )
    cve_id = models.CharField(
        max_length=128, blank=True, default="", help_text="CVE (or GHSA, ALAS...; CWE for code)."
    )
    cvss_score = models.FloatField(null=True, blank=True)
    cvss_version = models.CharField(max_length=8, blank=True, default="")
    cvss_vector = models.CharField(max_length=255, blank=True, default="")
    epss_score = models.FloatField(null=True, blank=True, help_text="Probability of exploitation.")
    exploit_available = models.BooleanField(null=True, blank=True)
    fix_available = models.CharField(
        max_length=8, choices=FixAvailable.choices, blank=True, default=""
    )
    package_name = models.CharField(max_length=255, blank=True, default="")
    package_version = models.CharField(max_length=128, blank=True, default="")
    fixed_in_version = models.CharField(max_length=128, blank=True, default="")
    package_manager = models.CharField(max_length=32, blank=True, default="")
    # "\nname1\nname2\n": the package filter matches any of a finding's packages, in SQL.
    package_names = models.TextField(blank=True, default="")
    packages = models.JSONField(
        default=list, blank=True, help_text="Every vulnerable package: name, version, fixed_in..."
    )
    resource_name = models.CharField(max_length=255, blank=True, default="")
    resource_tags = models.JSONField(default=dict, blank=True)
    remediation = models.TextField(blank=True, default="")
    source_url = models.CharField(max_length=1024, blank=True, default="")

    class Meta:
        indexes = [
            # The cve filter compares case-insensitively (GHSA ids are mixed case).
            models.Index(Upper("cve_id"), name="vuln_cve_upper"),
            # The package filter: any of the finding's packages (PostgreSQL only).
            GinIndex(OpClass("package_names", name="gin_trgm_ops"), name="vuln_packages_trgm"),
            models.Index(fields=["package_name"], name="vuln_package"),
            models.Index(fields=["exploit_available"], name="vuln_exploit"),
            models.Index(fields=["fix_available"], name="vuln_fix"),
        ]

    def __str__(self) -> str:
        return f"{self.cve_id or 'vulnerability'} of finding {self.finding_id}"


class InspectorCoverage(models.Model):
    """One resource and scan type Inspector covers in an account and region: scanned or not, why.

    Replaced per account and region by each Inspector collection (ListCoverage is a snapshot).
    """

    account = models.ForeignKey(
        AwsAccount, on_delete=models.CASCADE, related_name="inspector_coverage"
    )
    region = models.CharField(max_length=32)
    resource_type = models.CharField(max_length=64)
    resource_id = models.CharField(max_length=1024)
    scan_type = models.CharField(max_length=32, blank=True, default="")
    scanned = models.BooleanField(help_text="AWS's scan status is ACTIVE.")
    status_code = models.CharField(max_length=32, blank=True, default="")
    reason = models.CharField(max_length=64, blank=True, default="")
    scan_mode = models.CharField(max_length=64, blank=True, default="")
    last_scanned_at = models.DateTimeField(null=True, blank=True)
    resource_tags = models.JSONField(default=dict, blank=True)
    collected_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["account", "region"], name="coverage_target"),
        ]

    def __str__(self) -> str:
        state = "scanned" if self.scanned else f"not scanned ({self.reason})"
        return f"{self.resource_id} {self.scan_type} {state}"
