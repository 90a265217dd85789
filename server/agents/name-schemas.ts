import { z } from "zod";
import { GROUP_NAME, IDENTITY_NAME } from "./names";

/** Request schemas for names, used by the agents and users routers; their messages land under the form's fields. */
export const identityNameSchema = z.string().trim().regex(IDENTITY_NAME, "1-128 characters without spaces");
export const groupNameSchema = z.string().trim().regex(GROUP_NAME, "group names are 1-63 letters, digits, '.', '_', ':' or '-', starting with a letter or digit");
export const groupListSchema = z.array(groupNameSchema).max(20, "at most 20 groups at once");
