"""Payment providers: the one interface through which orders are charged and refunded.

``payment_provider()`` returns the provider named by the ``PAYMENT_PROVIDER`` setting (a dotted
path; ``SimulatedProvider`` when unset). ``commerce.services.order_pay`` charges synchronously
through ``PaymentProvider.charge`` and ``order_refund`` refunds through ``PaymentProvider.refund``.

Where WeChat Pay and Alipay plug in: both are asynchronous. Their provider class implements
``charge`` by placing the prepay order (统一下单) and ``refund`` by calling the refund API; the
buyer then pays in the wallet app, and the provider's signed notify callback (a view that checks
the signature and the amount) calls ``commerce.services.order_mark_paid(order_id=...,
payment_reference=...)``, which takes the stock and fulfils the order exactly as ``order_pay``
does after a synchronous charge, and is idempotent for the repeated notifications both send.
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from commerce.models import Order

DEFAULT_PROVIDER = "commerce.payments.SimulatedProvider"


@dataclass(frozen=True)
class PaymentResult:
    """What the provider answered: success with its transaction reference, or a refusal."""

    succeeded: bool
    reference: str = ""
    message: str = ""


class PaymentProvider(ABC):
    @abstractmethod
    def charge(self, order: "Order", amount: Decimal) -> PaymentResult:
        """Take ``amount`` from the buyer for ``order``."""

    @abstractmethod
    def refund(self, order: "Order", amount: Decimal) -> PaymentResult:
        """Return ``amount`` of the paid ``order`` (``order.payment_reference``) to the buyer."""


class SimulatedProvider(PaymentProvider):
    """A deterministic provider for development and tests: no money moves.

    It accepts every charge unless the setting ``PAYMENT_SIMULATED_DECLINE`` is true, and always
    accepts refunds. References are derived from the order number, so runs are reproducible.
    """

    def charge(self, order: "Order", amount: Decimal) -> PaymentResult:
        if getattr(settings, "PAYMENT_SIMULATED_DECLINE", False):
            return PaymentResult(succeeded=False, message="The card was declined.")
        return PaymentResult(succeeded=True, reference=f"SIM-{order.number}")

    def refund(self, order: "Order", amount: Decimal) -> PaymentResult:
        return PaymentResult(succeeded=True, reference=f"SIM-REFUND-{order.number}")


def payment_provider() -> PaymentProvider:
    """The configured provider (``PAYMENT_PROVIDER``, a dotted path to a class)."""
    return import_string(getattr(settings, "PAYMENT_PROVIDER", DEFAULT_PROVIDER))()
