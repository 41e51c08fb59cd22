"""The sandbox's ready cast: everyone a newcomer needs to see the whole service in the web chat.

Created by sandbox mode (``bot/sandbox_mode.py``) through the sandbox's public API (virtual users
and a group) and the bot's own services (``core.accounts`` for people and roles,
``reports.service.bind_unit_chat`` for the staff group), never by writing to the sandbox from the
other side: the sandbox knows nothing of the bot.

Who is who (the web chat lists each with their @username and id):

- 王芳 (@wangfang), a resident who writes Chinese; Tom Baker (@tom), a resident who writes English;
- 李工 (@admin_li), an admin (the first of ``WUFEI_ADMIN_IDS`` when some are configured);
- 张师傅 (@zhang), a handler of 澄江街道, in the group "澄江街道 工作群 Staff" bound to that unit:
  reports made in 澄江街道 (the web chat's default location) arrive there;
- 陈老师 (@chen), campaign staff (``/cells``, ``/newcampaign``);
- 刘新 (@liu), nobody yet: try ``/grant @liu handler 澄江街道`` as 李工.

Ids are fixed, so the roles kept in the database from an earlier run still belong to the same
people; granting again is a no-op.
"""

from __future__ import annotations

from dataclasses import dataclass

from core import accounts
from core.models import Role
from reports.service import bind_unit_chat
from sandbox import Chat, SandboxServer, VirtualUser

CAST_ADMIN_ID = 7_000_001
CHENGJIANG = "320281001"  # 澄江街道: the unit of the cast's handler and staff group


@dataclass(frozen=True, slots=True)
class Cast:
    resident_zh: VirtualUser
    resident_en: VirtualUser
    admin: VirtualUser
    handler: VirtualUser
    campaign: VirtualUser
    newcomer: VirtualUser
    staff_group: Chat

    @property
    def people(self) -> tuple[VirtualUser, ...]:
        return (self.resident_zh, self.resident_en, self.admin, self.handler, self.campaign, self.newcomer)


async def create_cast(server: SandboxServer, sessions, admin_id: int, default_locale: str) -> Cast:
    """The cast in the sandbox's world and in the bot's database (``sessions``: the app's factory)."""

    def person(first: str, last: str, username: str, lang: str, user_id: int) -> VirtualUser:
        return server.create_user(first, last, username=username, language_code=lang, user_id=user_id, started=True)

    resident_zh = person("王芳", "(居民 resident)", "wangfang", "zh", 7_000_011)
    resident_en = person("Tom", "Baker (resident)", "tom", "en", 7_000_012)
    admin = person("李工", "(管理员 admin)", "admin_li", "zh", admin_id)
    handler = person("张师傅", "(澄江街道 处理人员 handler)", "zhang", "zh", 7_000_013)
    campaign = person("陈老师", "(宣传 campaign staff)", "chen", "zh", 7_000_014)
    newcomer = person("刘新", "(新同事 try /grant @liu)", "liu", "zh", 7_000_015)
    group = server.create_group("澄江街道 工作群 Staff", [handler, admin])
    cast = Cast(resident_zh, resident_en, admin, handler, campaign, newcomer, group)
    async with sessions() as session:
        for user in cast.people:
            await accounts.touch_user(
                session,
                user.id,
                display_name=user.full_name,
                username=user.username,
                language_code=user.language_code,
                default_locale=default_locale,
            )
        await accounts.grant(session, admin.id, handler.id, Role.UNIT_HANDLER, CHENGJIANG)
        await accounts.grant(session, admin.id, campaign.id, Role.CAMPAIGN_STAFF)
        await bind_unit_chat(session, CHENGJIANG, group.id, admin.id)
    return cast
