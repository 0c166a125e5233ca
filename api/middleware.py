"""Query strings of the API name each parameter once.

No parameter of ``/api/`` takes several values (the schema declares none as an array), so a
repeated one (``?page_size=5&page_size=50``) is a malformed request, not a choice between them:
it answers 400 problem details naming the parameter, instead of Django's silent "last one wins".
"""

from django.http import JsonResponse

from api.v1.exceptions import PROBLEM_CONTENT_TYPE, PROBLEM_TYPE_PREFIX, TITLES


class SingleValuedQueryMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/api/"):
            repeated = sorted(k for k, values in request.GET.lists() if len(values) > 1)
            if repeated:
                return JsonResponse(
                    {
                        "type": f"{PROBLEM_TYPE_PREFIX}invalid",
                        "title": TITLES[400],
                        "status": 400,
                        "detail": "The request has invalid fields; see errors.",
                        "code": "invalid",
                        "errors": {name: ["Give this parameter once."] for name in repeated},
                    },
                    status=400,
                    content_type=PROBLEM_CONTENT_TYPE,
                    json_dumps_params={"ensure_ascii": False},
                )
        return self.get_response(request)
