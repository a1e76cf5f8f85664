"""The Django admin screens ops use for schedules, task results and login lockouts read Portuguese:
what django-celery-beat, django-celery-results and django-axes leave untranslated in pt-BR is
translated in our catalogue, which comes before the apps' own (LOCALE_PATHS)."""

import pytest
from django.contrib.auth import get_user_model
from django.utils import translation
from django_celery_beat.models import PeriodicTask

pytestmark = pytest.mark.django_db

# Each page, with labels, help texts, choices and action names that read English before.
PAGES = {
    "django_celery_beat/periodictask/": {
        "Tarefas periódicas": "Periodic Tasks", "Ativar as tarefas selecionadas": "Enable selected tasks",
        "Desativar as tarefas selecionadas": "Disable selected tasks",
        "Inverter ativação das tarefas selecionadas": "Toggle activity of selected tasks",
        "Executar as tarefas selecionadas": "Run selected tasks", "a cada 60 segundos": "every 60 seconds",
    },
    "django_celery_beat/periodictask/{job}/change/": {
        "Agendamento por intervalo": "Interval Schedule", "Agendamento por cron": "Crontab Schedule",
        "Opções de execução": "Execution Options", "Argumentos posicionais": "Positional Arguments",
        "Tarefa (registrada)": "Task (registered)", "Desmarque para desativar o agendamento":
        "Set to False to disable the schedule", "Fila definida em CELERY_TASK_QUEUES": "Queue defined in",
        "Tarefa única": "One-off Task", "Expira em": "Expires Datetime",
    },
    "django_celery_beat/intervalschedule/add/": {
        "Número de períodos": "Number of Periods", "Período do intervalo": "Interval Period", ">Dias<": ">Days<",
        ">Minutos<": ">Minutes<", ">Microssegundos<": ">Microseconds<",
        "Tarefas periódicas que usam este agendamento": "Periodic Tasks Using This Schedule",
    },
    "django_celery_beat/crontabschedule/add/": {
        "Minuto(s)": "Minute(s)", "Dia(s) da semana": "Day(s) Of The Week", "Fuso horário do cron": "Cron Timezone",
        "domingo é 0 ou 7": "Sunday is 0 or 7",
    },
    "django_celery_beat/solarschedule/add/": {
        "Evento solar": "Solar Event", "Nascer do sol": "Sunrise", "Crepúsculo náutico": "Nautical dusk",
        "Executar a tarefa quando o evento acontecer nesta latitude": "at this latitude",
    },
    "django_celery_beat/clockedschedule/add/": {"Executar a tarefa neste horário": "Run the task at clocked time"},
    "django_celery_results/taskresult/": {
        "Resultados de tarefas": "task results", "Por Situação da tarefa": "Task State",
        "Por Nome da tarefa periódica": "Periodic Task Name", "Resultados do Celery": "Celery Results",
    },
    "axes/accessattempt/": {"Tentativas de acesso": "access attempts", "Por Hora da tentativa": "Attempt Time",
                            "Por Caminho": "By Path"},
    "axes/accesslog/": {"Registros de acesso": "access logs", "Hora da saída": "Logout Time"},
}


@pytest.fixture
def admin_client_pt(client):
    client.force_login(get_user_model().objects.create_superuser("root", "root@loja.example", "x-Senha-12345"))
    return client


@pytest.mark.parametrize("page", PAGES)
def test_the_schedule_and_lockout_admin_pages_read_portuguese(admin_client_pt, page):
    url = "/admin/" + page.format(job=PeriodicTask.objects.get(name="heartbeat").pk)
    response = admin_client_pt.get(url)
    html = response.content.decode()
    assert response.status_code == 200 and '<html lang="pt-br"' in html
    for portuguese, english in PAGES[page].items():
        assert portuguese in html, portuguese
        assert english not in html, english


def test_our_catalogue_comes_before_the_apps_own(admin_client_pt):
    """A msgid Django's admin translates one way and ours another reads ours."""
    with translation.override("pt-br"):
        assert translation.gettext("Log out") == "Sair"
    html = admin_client_pt.get("/admin/").content.decode()
    assert "Sair" in html and "Encerrar sessão" not in html
